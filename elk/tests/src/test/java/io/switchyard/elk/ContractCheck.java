package io.switchyard.elk;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks a JSON document against an index template mapping: field by field, type by type. */
final class ContractCheck {

    private static final Pattern IPV4 = Pattern.compile(
            "^((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)$");
    private static final Pattern IPV6 = Pattern.compile("^[0-9A-Fa-f:.]+$");

    private ContractCheck() {
    }

    /** Leaf values of a document by dotted path; dotted keys ("app.color") and nested objects both count. */
    static Map<String, JsonNode> flatten(JsonNode doc) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        flatten(doc, "", out);
        return out;
    }

    private static void flatten(JsonNode node, String prefix, Map<String, JsonNode> out) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix + e.getKey();
            if (e.getValue().isObject()) {
                flatten(e.getValue(), path + ".", out);
            } else {
                out.put(path, e.getValue());
            }
        }
    }

    /** Fields of the document that are not in the mapping. */
    static List<String> unmapped(JsonNode mappings, JsonNode doc) {
        List<String> out = new ArrayList<>();
        for (String path : flatten(doc).keySet()) {
            if (IndexTemplates.field(mappings, path) == null) {
                out.add(path);
            }
        }
        return out;
    }

    /** Fields that are mapped but whose value Elasticsearch would reject or misread for that type. */
    static List<String> typeViolations(JsonNode mappings, JsonNode doc) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : flatten(doc).entrySet()) {
            String type = IndexTemplates.type(mappings, e.getKey());
            if (type == null) {
                continue;
            }
            String problem = check(type, e.getValue());
            if (problem != null) {
                out.add(e.getKey() + " (" + type + "): " + problem + ": " + e.getValue());
            }
        }
        return out;
    }

    static String check(String type, JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (v.isArray()) {
            // Elasticsearch indexes an array as several values of the field's type.
            for (JsonNode item : v) {
                String problem = check(type, item);
                if (problem != null) {
                    return "array item " + problem;
                }
            }
            return null;
        }
        switch (type) {
            case "keyword", "text":
                return v.isTextual() ? null : "not a string";
            case "date":
                if (v.isIntegralNumber()) {
                    return null;
                }
                if (!v.isTextual()) {
                    return "not a date string";
                }
                try {
                    OffsetDateTime.parse(v.asText());
                    return null;
                } catch (DateTimeParseException ex) {
                    return "not ISO-8601 with offset";
                }
            case "integer":
                return v.isIntegralNumber() && v.canConvertToInt() ? null : "not an integer";
            case "long":
                return v.isIntegralNumber() && v.canConvertToLong() ? null : "not a long";
            case "float", "double", "scaled_float":
                return v.isNumber() ? null : "not a number";
            case "ip":
                return v.isTextual() && (IPV4.matcher(v.asText()).matches()
                        || (v.asText().contains(":") && IPV6.matcher(v.asText()).matches())) ? null : "not an IP";
            case "boolean":
                return v.isBoolean() ? null : "not a boolean";
            case "object":
                return "a scalar where the mapping has an object";
            default:
                return "unknown mapping type " + type;
        }
    }
}
