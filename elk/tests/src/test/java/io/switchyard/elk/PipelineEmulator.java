package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jruby.embed.LocalContextScope;
import org.jruby.embed.LocalVariableBehavior;
import org.jruby.embed.ScriptingContainer;

/**
 * Applies the filters of one of our Logstash pipeline files to an event, the way Logstash would: the
 * ruby filter's own code runs in JRuby (Logstash's runtime) against a small event object with
 * get/set/remove; date, mutate(add_field, add_tag), de_dot and drop are emulated from their configured
 * attributes. A filter inside if/else runs when its branch's conditions hold; conditions are evaluated
 * for the forms our pipelines use ([field][ref] == / != "string", "string" in [field]). Any other plugin
 * or condition fails the test: it would need an emulation first.
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
            if (p.section().equals("filter")) {
                filters.add(p);
            }
        }
    }

    List<LogstashConfig.Plugin> filters() {
        return filters;
    }

    /** The event after the filters; null when a drop filter dropped it. */
    ObjectNode apply(JsonNode input) {
        ObjectNode event = input.deepCopy();
        int rubyIndex = 0;
        // Each condition is evaluated once, when the event reaches its if (the first filter inside it).
        Map<Integer, Boolean> evaluated = new java.util.HashMap<>();
        for (LogstashConfig.Plugin p : filters) {
            boolean runs = true;
            for (LogstashConfig.Guard g : p.guards()) {
                if (!runs) {
                    break;
                }
                if (!evaluated.containsKey(g.id())) {
                    evaluated.put(g.id(), holds(g.condition(), event));
                }
                runs = evaluated.get(g.id()) == g.holds();
            }
            if (p.name().equals("ruby")) {
                rubyIndex++;
            }
            if (!runs) {
                continue;
            }
            switch (p.name()) {
                case "date" -> date(p, event);
                case "ruby" -> event = ruby(p, rubyIndex - 1, event);
                case "mutate" -> mutate(p, event);
                case "de_dot" -> deDot(p, event);
                case "drop" -> {
                    return null;
                }
                default -> throw new AssertionError("no emulation for filter plugin " + p.name() + " (line " + p.line() + ")");
            }
        }
        return event;
    }

    private static final Pattern COMPARE = Pattern.compile("((?:\\[[^\\]]+\\])+)\\s*(==|!=)\\s*\"([^\"]*)\"");
    private static final Pattern IN = Pattern.compile("\"([^\"]*)\"\\s+(in|not in)\\s+((?:\\[[^\\]]+\\])+)");

    /** A condition of our pipelines on the event; an unknown form fails the test. */
    static boolean holds(String condition, JsonNode event) {
        Matcher m = COMPARE.matcher(condition.trim());
        if (m.matches()) {
            JsonNode v = fieldRef(event, m.group(1));
            boolean equal = v != null && v.isValueNode() && v.asText().equals(m.group(3));
            return m.group(2).equals("==") == equal;
        }
        m = IN.matcher(condition.trim());
        if (m.matches()) {
            JsonNode v = fieldRef(event, m.group(3));
            boolean found = false;
            if (v != null && v.isArray()) {
                for (JsonNode item : v) {
                    found |= item.asText().equals(m.group(1));
                }
            } else if (v != null && v.isTextual()) {
                found = v.asText().contains(m.group(1));
            }
            return m.group(2).equals("in") == found;
        }
        throw new AssertionError("no emulation for the condition: " + condition);
    }

    private static JsonNode fieldRef(JsonNode event, String ref) {
        JsonNode node = event;
        for (String part : ref.substring(1, ref.length() - 1).split("\\]\\[")) {
            node = node == null ? null : node.get(part);
        }
        return node;
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
