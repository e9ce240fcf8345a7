package io.switchyard.apicompat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.openapitools.openapidiff.core.model.ChangedContent;
import org.openapitools.openapidiff.core.model.ChangedOpenApi;
import org.openapitools.openapidiff.core.model.ChangedOperation;
import org.openapitools.openapidiff.core.model.ChangedParameter;
import org.openapitools.openapidiff.core.model.ChangedSchema;
import org.openapitools.openapidiff.core.model.Changed;
import org.openapitools.openapidiff.core.model.Endpoint;

/**
 * One line per breaking change, naming the route and the field, read off openapi-diff's model (its own report says
 * "Schema: Broken compatibility" for a request body without saying which field). Also finds the one kind the
 * library lets pass and we refuse: a response field that may be absent and disappears.
 *
 * @param reasons               what breaks, one line each
 * @param removedResponseFields some response field, optional or not, is gone
 */
record BreakingChanges(List<String> reasons, boolean removedResponseFields) {

    static BreakingChanges of(ChangedOpenApi diff) {
        List<String> reasons = new ArrayList<>();
        boolean removedFields = false;
        for (Endpoint removed : diff.getMissingEndpoints()) {
            reasons.add("route removed: " + removed.getMethod() + " " + removed.getPathUrl());
        }
        for (ChangedOperation operation : diff.getChangedOperations()) {
            String where = operation.getHttpMethod() + " " + operation.getPathUrl();
            if (operation.getParameters() != null) {
                operation.getParameters().getMissing().forEach(p -> reasons.add(where + ": parameter removed: "
                        + p.getName()));
                operation.getParameters().getIncreased().stream().filter(p -> Boolean.TRUE.equals(p.getRequired()))
                        .forEach(p -> reasons.add(where + ": new required parameter: " + p.getName()));
                for (ChangedParameter p : operation.getParameters().getChanged()) {
                    if (p.isIncompatible()) {
                        reasons.add(where + ": parameter " + p.getName() + " narrowed"
                                + (p.isChangeRequired() ? " (now required)" : ""));
                    }
                }
            }
            if (operation.getRequestBody() != null && operation.getRequestBody().getContent() != null) {
                schemas(operation.getRequestBody().getContent()).forEach(schema ->
                        walk(schema, where + " request", "", false, reasons, seen()));
            }
            if (operation.getApiResponses() != null) {
                operation.getApiResponses().getMissing().keySet().forEach(status ->
                        reasons.add(where + ": response " + status + " removed"));
                for (var response : operation.getApiResponses().getChanged().entrySet()) {
                    if (response.getValue().getContent() == null) {
                        continue;
                    }
                    for (ChangedSchema schema : schemas(response.getValue().getContent())) {
                        int before = reasons.size();
                        removedFields |= walk(schema, where + " " + response.getKey(), "", true, reasons, seen());
                        if (reasons.size() == before && schema.isIncompatible()) {
                            reasons.add(where + " " + response.getKey() + ": response schema changed");
                        }
                    }
                }
            }
        }
        return new BreakingChanges(List.copyOf(reasons), removedFields);
    }

    /** Returns whether a response field was removed under {@code schema}. */
    private static boolean walk(ChangedSchema schema, String where, String path, boolean response,
            List<String> reasons, Set<ChangedSchema> seen) {
        if (schema == null || !seen.add(schema)) {
            return false;
        }
        String field = path.isEmpty() ? "(body)" : path;
        String prefix = path.isEmpty() ? "" : path + ".";
        boolean removed = false;
        if (response) {
            for (String name : schema.getMissingProperties().keySet()) {
                reasons.add(where + ": response field removed: " + prefix + name);
                removed = true;
            }
        }
        if (schema.isChangedType() && schema.isIncompatible()) {
            reasons.add(where + ": type changed: " + field);
        }
        if (!response && incompatible(schema.getRequired())) {
            reasons.add(where + ": newly required: " + prefix + String.join(", " + prefix,
                    schema.getRequired().getIncreased()));
        }
        if (incompatible(schema.getMaxLength()) || incompatible(schema.getNumericRange())
                || incompatible(schema.getEnumeration()) || incompatible(schema.getPattern())) {
            reasons.add(where + ": allowed values narrowed: " + field);
        }
        for (var child : schema.getChangedProperties().entrySet()) {
            removed |= walk(child.getValue(), where, prefix + child.getKey(), response, reasons, seen);
        }
        removed |= walk(schema.getItems(), where, path + "[]", response, reasons, seen);
        return removed;
    }

    private static boolean incompatible(Changed changed) {
        return changed != null && changed.isIncompatible();
    }

    private static List<ChangedSchema> schemas(ChangedContent content) {
        return content.getChanged().values().stream().map(mediaType -> mediaType.getSchema()).toList();
    }

    private static Set<ChangedSchema> seen() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
