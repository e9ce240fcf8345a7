package io.switchyard.support.api;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.error.Problems;
import jakarta.validation.Valid;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;

/**
 * Every error an operation can answer, as problem+json responses grouped by status: the codes of its
 * {@link ApiErrors} plus those that follow from its shape (a token is needed, a body is read, a parameter must be a
 * number...). Each response names its codes and meanings from the catalog and has one example per code; the codes
 * are not an enum of the schema, so a new code is an additive change for the compatibility gate.
 */
class ErrorResponses implements OperationCustomizer {

    static final String PROBLEM_SCHEMA = "Problem";
    private static final String PROBLEM_REF = "#/components/schemas/" + PROBLEM_SCHEMA;

    @Override
    public Operation customize(Operation operation, HandlerMethod handler) {
        Set<ErrorCode> codes = new TreeSet<>();
        ApiErrors declared = handler.getMethodAnnotation(ApiErrors.class);
        if (declared != null) {
            codes.addAll(Arrays.asList(declared.value()));
        }
        codes.addAll(implied(handler));
        Map<Integer, Set<ErrorCode>> byStatus = new TreeMap<>();
        for (ErrorCode code : codes) {
            byStatus.computeIfAbsent(code.status().value(), status -> new TreeSet<>()).add(code);
        }
        ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
        byStatus.forEach((status, group) -> responses.addApiResponse(Integer.toString(status), response(group)));
        operation.setResponses(responses);
        return operation;
    }

    private static Set<ErrorCode> implied(HandlerMethod handler) {
        Set<ErrorCode> codes = new TreeSet<>();
        codes.add(ErrorCode.INTERNAL_ERROR);
        if (OpenApiConfig.needsToken(handler)) {
            codes.add(ErrorCode.UNAUTHORIZED);
            codes.add(ErrorCode.INVALID_TOKEN);
        }
        for (MethodParameter parameter : handler.getMethodParameters()) {
            RequestBody body = parameter.getParameterAnnotation(RequestBody.class);
            if (body != null) {
                codes.add(ErrorCode.MALFORMED_BODY);
                codes.add(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
                codes.add(ErrorCode.PAYLOAD_TOO_LARGE);
                if (parameter.hasParameterAnnotation(Valid.class)) {
                    codes.add(ErrorCode.VALIDATION_FAILED);
                }
            }
            boolean pathOrQuery = parameter.hasParameterAnnotation(PathVariable.class)
                    || parameter.hasParameterAnnotation(RequestParam.class);
            if (pathOrQuery && !CharSequence.class.isAssignableFrom(parameter.getParameterType())) {
                codes.add(ErrorCode.TYPE_MISMATCH);
            }
            RequestParam param = parameter.getParameterAnnotation(RequestParam.class);
            if (param != null && param.required()) {
                codes.add(ErrorCode.MISSING_PARAMETER);
                if (Arrays.stream(parameter.getParameterAnnotations())
                        .anyMatch(a -> a.annotationType().getPackageName().equals("jakarta.validation.constraints"))) {
                    codes.add(ErrorCode.VALIDATION_FAILED);
                }
            }
        }
        return codes;
    }

    private static ApiResponse response(Set<ErrorCode> codes) {
        StringBuilder description = new StringBuilder(HttpStatus.valueOf(codes.iterator().next().status().value())
                .getReasonPhrase()).append(". `code` is one of:");
        Map<String, Example> examples = new LinkedHashMap<>();
        for (ErrorCode code : codes) {
            description.append("\n- `").append(code.code()).append("`: ").append(code.meaning());
            examples.put(code.code(), new Example().value(example(code)));
        }
        MediaType problem = new MediaType().schema(new Schema<>().$ref(PROBLEM_REF)).examples(examples);
        return new ApiResponse().description(description.toString())
                .content(new Content().addMediaType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                        problem));
    }

    private static Map<String, Object> example(ErrorCode code) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", Problems.TYPE_PREFIX + code.code());
        body.put("title", HttpStatus.valueOf(code.status().value()).getReasonPhrase());
        body.put("status", code.status().value());
        body.put("detail", code.meaning());
        body.put("code", code.code());
        return body;
    }
}
