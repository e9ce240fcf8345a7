package io.switchyard.elk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parser for the Logstash pipeline configuration language (sections, plugins, attributes,
 * values, if/else if/else with conditions), following the grammar of Logstash's treetop
 * definition. It rejects what Logstash would reject syntactically and returns the plugins used.
 */
final class LogstashConfig {

    /**
     * A plugin occurrence: section, name, attributes (values as parsed Java objects) and the guards of the
     * branches it sits in, outermost first (empty outside any if).
     */
    record Plugin(String section, String name, Map<String, Object> attributes, int line, List<Guard> guards) {
        boolean conditional() {
            return !guards.isEmpty();
        }
    }

    /**
     * One condition of an enclosing branch: its index in conditions() (Logstash evaluates it once, when the
     * event reaches the if), as written, and whether it must hold (false: an earlier if/else-if won).
     */
    record Guard(int id, String condition, boolean holds) {
    }

    /** A bareword value (unquoted), kept apart from quoted strings. */
    record Bareword(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** A plugin given as a value, e.g. codec => json { charset => "UTF-8" }. */
    record PluginValue(String name, Map<String, Object> attributes) {
    }

    static final class ParseException extends RuntimeException {
        ParseException(String message) {
            super(message);
        }
    }

    private final String src;
    private int pos;
    private final List<Plugin> plugins = new ArrayList<>();
    private final List<String> conditions = new ArrayList<>();
    /** The guards of the branch being parsed, outermost first. */
    private final List<Guard> guards = new ArrayList<>();

    private LogstashConfig(String src) {
        this.src = src;
    }

    static LogstashConfig parse(String src) {
        LogstashConfig c = new LogstashConfig(src);
        c.config();
        return c;
    }

    List<Plugin> plugins() {
        return plugins;
    }

    List<String> conditions() {
        return conditions;
    }

    private void config() {
        ws();
        if (eof()) {
            throw error("empty configuration");
        }
        while (!eof()) {
            String section = name();
            if (!List.of("input", "filter", "output").contains(section)) {
                throw error("expected input, filter or output, got '" + section + "'");
            }
            ws();
            expect('{');
            ws();
            block(section);
            expect('}');
            ws();
        }
    }

    /** Plugins and branches until the closing brace (not consumed). */
    private void block(String section) {
        while (!eof() && peek() != '}') {
            if (lookingAtKeyword("if")) {
                branch(section);
            } else {
                int line = line();
                if (lookingAtKeyword("else")) {
                    throw error("'else' without a matching 'if'");
                }
                String name = name();
                ws();
                Map<String, Object> attrs = pluginBody();
                plugins.add(new Plugin(section, name, attrs, line, List.copyOf(guards)));
            }
            ws();
        }
    }

    private Map<String, Object> pluginBody() {
        expect('{');
        ws();
        Map<String, Object> attrs = new LinkedHashMap<>();
        while (!eof() && peek() != '}') {
            String key = peek() == '"' || peek() == '\'' ? string() : name();
            ws();
            expect("=>");
            ws();
            Object value = value();
            if (attrs.containsKey(key)) {
                // Logstash merges some repeated keys, but in our files a repeat is always a mistake.
                throw error("attribute '" + key + "' given twice");
            }
            attrs.put(key, value);
            ws();
        }
        expect('}');
        return attrs;
    }

    /** if / else if / else: each block is guarded by its own condition and the negation of every earlier one. */
    private void branch(String section) {
        int outer = guards.size();
        try {
            keyword("if");
            ws();
            conditions.add(condition());
            int first = conditions.size() - 1;
            ws();
            guardedBlock(section, outer, List.of(), first);
            List<Integer> earlier = new ArrayList<>(List.of(first));
            int save = pos;
            ws();
            while (lookingAtKeyword("else")) {
                keyword("else");
                ws();
                boolean elseIf = lookingAtKeyword("if");
                int cond = -1;
                if (elseIf) {
                    keyword("if");
                    ws();
                    conditions.add(condition());
                    cond = conditions.size() - 1;
                    ws();
                }
                guardedBlock(section, outer, earlier, cond);
                save = pos;
                ws();
                if (!elseIf) {
                    break; // a plain else ends the chain
                }
                earlier.add(cond);
            }
            pos = save;
        } finally {
            guards.subList(outer, guards.size()).clear();
        }
    }

    private void guardedBlock(String section, int outer, List<Integer> failed, int condition) {
        guards.subList(outer, guards.size()).clear();
        failed.forEach(c -> guards.add(new Guard(c, conditions.get(c), false)));
        if (condition >= 0) {
            guards.add(new Guard(condition, conditions.get(condition), true));
        }
        expect('{');
        ws();
        block(section);
        expect('}');
    }

    private String condition() {
        int start = pos;
        expression();
        ws();
        while (lookingAtKeyword("and") || lookingAtKeyword("or") || lookingAtKeyword("xor") || lookingAtKeyword("nand")) {
            name();
            ws();
            expression();
            ws();
        }
        return src.substring(start, pos).trim();
    }

    private void expression() {
        if (peek() == '(') {
            pos++;
            ws();
            condition();
            ws();
            expect(')');
            return;
        }
        if (peek() == '!') {
            pos++;
            ws();
            if (peek() == '(') {
                expression();
            } else {
                selector();
            }
            return;
        }
        rvalue();
        ws();
        if (lookingAt("==") || lookingAt("!=") || lookingAt("<=") || lookingAt(">=")) {
            pos += 2;
            ws();
            rvalue();
        } else if (lookingAt("=~") || lookingAt("!~")) {
            pos += 2;
            ws();
            if (peek() == '/') {
                regexp();
            } else {
                string();
            }
        } else if (peek() == '<' || peek() == '>') {
            pos++;
            ws();
            rvalue();
        } else if (lookingAtKeyword("in")) {
            keyword("in");
            ws();
            rvalue();
        } else if (lookingAtKeyword("not")) {
            keyword("not");
            ws();
            keyword("in");
            ws();
            rvalue();
        }
    }

    private void rvalue() {
        char c = peek();
        if (c == '"' || c == '\'') {
            string();
        } else if (c == '[') {
            if (pos + 1 < src.length() && (src.charAt(pos + 1) == '"' || src.charAt(pos + 1) == '\''
                    || src.charAt(pos + 1) == ']' || Character.isDigit(src.charAt(pos + 1)))) {
                array();
            } else {
                selector();
            }
        } else if (c == '/') {
            regexp();
        } else if (c == '-' || Character.isDigit(c)) {
            number();
        } else {
            throw error("expected a value in condition");
        }
    }

    private void selector() {
        if (peek() != '[') {
            throw error("expected a field reference like [field]");
        }
        while (peek() == '[') {
            pos++;
            int start = pos;
            while (!eof() && peek() != ']' && peek() != ',') {
                pos++;
            }
            if (pos == start) {
                throw error("empty field reference");
            }
            expect(']');
        }
    }

    private void regexp() {
        expect('/');
        while (!eof() && peek() != '/') {
            if (peek() == '\\') {
                pos++;
            }
            pos++;
        }
        expect('/');
    }

    private Object value() {
        char c = peek();
        if (c == '"' || c == '\'') {
            return string();
        }
        if (c == '[') {
            return array();
        }
        if (c == '{') {
            return hash();
        }
        if (c == '-' || Character.isDigit(c)) {
            return number();
        }
        String word = name();
        int save = pos;
        ws();
        if (peek() == '{') {
            return new PluginValue(word, pluginBody());
        }
        pos = save;
        return new Bareword(word);
    }

    private List<Object> array() {
        expect('[');
        ws();
        List<Object> out = new ArrayList<>();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            out.add(value());
            ws();
            if (peek() == ',') {
                pos++;
                ws();
                continue;
            }
            expect(']');
            return out;
        }
    }

    private Map<String, Object> hash() {
        expect('{');
        ws();
        Map<String, Object> out = new LinkedHashMap<>();
        while (!eof() && peek() != '}') {
            Object key = peek() == '"' || peek() == '\'' ? string() : (Character.isDigit(peek()) ? number() : name());
            ws();
            expect("=>");
            ws();
            out.put(String.valueOf(key), value());
            ws();
            if (peek() == ',') {
                throw error("hash entries are not separated by commas in Logstash config");
            }
        }
        expect('}');
        return out;
    }

    private Number number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        while (!eof() && Character.isDigit(peek())) {
            pos++;
        }
        if (!eof() && peek() == '.') {
            pos++;
            while (!eof() && Character.isDigit(peek())) {
                pos++;
            }
        }
        String text = src.substring(start, pos);
        if (text.isEmpty() || text.equals("-")) {
            throw error("expected a number");
        }
        return text.contains(".") ? (Number) Double.parseDouble(text) : (Number) Long.parseLong(text);
    }

    private String string() {
        char quote = peek();
        if (quote != '"' && quote != '\'') {
            throw error("expected a quoted string");
        }
        pos++;
        StringBuilder sb = new StringBuilder();
        while (!eof() && peek() != quote) {
            if (peek() == '\\' && pos + 1 < src.length() && src.charAt(pos + 1) == quote) {
                sb.append(quote);
                pos += 2;
                continue;
            }
            sb.append(peek());
            pos++;
        }
        if (eof()) {
            throw error("unterminated string");
        }
        pos++;
        return sb.toString();
    }

    private String name() {
        int start = pos;
        while (!eof() && (Character.isLetterOrDigit(peek()) || peek() == '_' || peek() == '-')) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a name");
        }
        return src.substring(start, pos);
    }

    private void ws() {
        while (!eof()) {
            char c = peek();
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '#') {
                while (!eof() && peek() != '\n') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    private boolean lookingAt(String s) {
        return src.startsWith(s, pos);
    }

    private boolean lookingAtKeyword(String k) {
        if (!src.startsWith(k, pos)) {
            return false;
        }
        int end = pos + k.length();
        return end >= src.length() || !(Character.isLetterOrDigit(src.charAt(end)) || src.charAt(end) == '_');
    }

    private void keyword(String k) {
        if (!lookingAtKeyword(k)) {
            throw error("expected '" + k + "'");
        }
        pos += k.length();
    }

    private void expect(char c) {
        if (eof() || peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void expect(String s) {
        if (!lookingAt(s)) {
            throw error("expected '" + s + "'");
        }
        pos += s.length();
    }

    private char peek() {
        return eof() ? '\0' : src.charAt(pos);
    }

    private boolean eof() {
        return pos >= src.length();
    }

    private int line() {
        int line = 1;
        for (int i = 0; i < pos && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private ParseException error(String message) {
        String context = src.substring(pos, Math.min(src.length(), pos + 40)).replace("\n", "\\n");
        return new ParseException(message + " at line " + line() + " near: " + context);
    }
}
