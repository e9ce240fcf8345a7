package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jruby.embed.LocalContextScope;
import org.jruby.embed.LocalVariableBehavior;
import org.jruby.embed.ScriptingContainer;

/**
 * Applies the unconditional filters of one of our Logstash pipeline files to an event, the way
 * Logstash would: the ruby filter's own code runs in JRuby (Logstash's runtime) against a small
 * event object with get/set/remove; date, mutate(add_field) and de_dot are emulated from their
 * configured attributes. Any other plugin fails the test: it would need an emulation first.
 */
final class PipelineEmulator {

    private static final String FAKE_EVENT = """
            require 'json'
            class SwitchyardFakeEvent
              def initialize(h); @h = h; end
              def get(f); @h[f]; end
              def set(f, v); @h[f] = v; end
              def remove(f); @h.delete(f); end
              def to_hash; @h; end
            end
            """;

    private final List<LogstashConfig.Plugin> filters = new ArrayList<>();
    private ScriptingContainer ruby;
    private Object topSelf;
    private final java.util.Set<String> definedFilters = new java.util.HashSet<>();

    PipelineEmulator(Path conf) {
        for (LogstashConfig.Plugin p : LogstashConfig.parse(Repo.read(conf)).plugins()) {
            if (p.section().equals("filter") && !p.conditional()) {
                filters.add(p);
            }
        }
    }

    List<LogstashConfig.Plugin> filters() {
        return filters;
    }

    ObjectNode apply(JsonNode input) {
        ObjectNode event = input.deepCopy();
        int rubyIndex = 0;
        for (LogstashConfig.Plugin p : filters) {
            switch (p.name()) {
                case "date" -> date(p, event);
                case "ruby" -> event = ruby(p, rubyIndex++, event);
                case "mutate" -> mutate(p, event);
                case "de_dot" -> deDot(p, event);
                default -> throw new AssertionError("no emulation for filter plugin " + p.name() + " (line " + p.line() + ")");
            }
        }
        return event;
    }

    private static void date(LogstashConfig.Plugin p, ObjectNode event) {
        @SuppressWarnings("unchecked")
        List<Object> match = (List<Object>) p.attributes().get("match");
        String field = String.valueOf(match.get(0));
        if (!match.subList(1, match.size()).stream().map(String::valueOf).toList().contains("ISO8601")) {
            throw new AssertionError("date filter emulation only knows ISO8601, got " + match);
        }
        String target = String.valueOf(p.attributes().getOrDefault("target", "@timestamp"));
        JsonNode value = event.get(field);
        if (value == null) {
            return;
        }
        // Logstash stores a UTC timestamp with millisecond precision.
        event.put(target, OffsetDateTime.parse(value.asText()).toInstant().toString());
        Object remove = p.attributes().get("remove_field");
        if (remove instanceof List<?> fields) {
            fields.forEach(f -> event.remove(String.valueOf(f)));
        }
    }

    private ObjectNode ruby(LogstashConfig.Plugin p, int index, ObjectNode event) {
        if (ruby == null) {
            ruby = new ScriptingContainer(LocalContextScope.SINGLETHREAD, LocalVariableBehavior.TRANSIENT);
            ruby.runScriptlet(FAKE_EVENT);
            topSelf = ruby.runScriptlet("self");
        }
        String fn = "switchyard_filter_" + index;
        if (!definedFilters.contains(fn)) {
            ruby.put("$switchyard_code", String.valueOf(p.attributes().get("code")));
            // The same wrapping Logstash's ruby filter uses: the code is the body of a lambda over event.
            ruby.runScriptlet("$" + fn + " = eval('lambda { |event| ' + $switchyard_code + \"\\n}\", binding, '(ruby filter code)')\n"
                    + "def " + fn + "(json); e = SwitchyardFakeEvent.new(JSON.parse(json)); $" + fn
                    + ".call(e); JSON.generate(e.to_hash); end");
            definedFilters.add(fn);
        }
        String out = ruby.callMethod(topSelf, fn, event.toString(), String.class);
        return (ObjectNode) Repo.parse(out);
    }

    private static void mutate(LogstashConfig.Plugin p, ObjectNode event) {
        for (String key : p.attributes().keySet()) {
            if (!List.of("id", "add_field", "add_tag").contains(key)) {
                throw new AssertionError("mutate emulation does not know '" + key + "' (line " + p.line() + ")");
            }
        }
        Object add = p.attributes().get("add_field");
        if (add instanceof Map<?, ?> fields) {
            for (Map.Entry<?, ?> f : fields.entrySet()) {
                setPath(event, String.valueOf(f.getKey()), String.valueOf(f.getValue()));
            }
        }
        Object tag = p.attributes().get("add_tag");
        if (tag instanceof List<?> tags) {
            tags.forEach(t -> event.withArray("tags").add(String.valueOf(t)));
        }
    }

    private static void deDot(LogstashConfig.Plugin p, ObjectNode event) {
        boolean nested = Boolean.parseBoolean(String.valueOf(p.attributes().getOrDefault("nested", "false")));
        if (!nested) {
            throw new AssertionError("de_dot emulation covers nested => true only");
        }
        Object fields = p.attributes().get("fields");
        if (!(fields instanceof List<?> list)) {
            throw new AssertionError("de_dot without an explicit fields list would rename every dotted field");
        }
        for (Object f : list) {
            String name = String.valueOf(f);
            JsonNode value = event.remove(name);
            if (value != null) {
                String[] parts = name.split("\\.");
                ObjectNode node = event;
                for (int i = 0; i < parts.length - 1; i++) {
                    node = node.with(parts[i]);
                }
                node.set(parts[parts.length - 1], value);
            }
        }
    }

    /** Sets a Logstash field reference like [event][dataset] (or a plain name). */
    private static void setPath(ObjectNode event, String ref, String value) {
        if (!ref.startsWith("[")) {
            event.put(ref, value);
            return;
        }
        String[] parts = ref.substring(1, ref.length() - 1).split("\\]\\[");
        ObjectNode node = event;
        for (int i = 0; i < parts.length - 1; i++) {
            node = node.with(parts[i]);
        }
        node.put(parts[parts.length - 1], value);
    }
}
