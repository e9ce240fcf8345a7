package io.switchyard.support.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import io.swagger.v3.core.converter.ModelConverter;
import java.util.List;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * The OpenAPI document springdoc builds from the controllers (committed as docs/api/openapi.json, served at
 * /v3/api-docs with Swagger UI at /swagger-ui.html unless API_DOCS_ENABLED=false, the prod default). Here: what the
 * code cannot say by itself: the bearer scheme and which routes need it, the problem+json error responses, the
 * paging header, which fields are always present.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfig {

    static final String BEARER = "bearer";
    /** The API's own version, not the release's: the document changes only when the API does. */
    static final String API_VERSION = "1";
    private static final String PUBLIC_PREFIX = "/api/auth/";

    @Bean
    OpenAPI switchyardOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Switchyard API").version(API_VERSION)
                        .description("REST API of Switchyard. Integration guide, error catalog and the STOMP chat "
                                + "protocol (AsyncAPI): docs/api/ in the repository."))
                // relative: the document is the same whichever host or port serves it
                .servers(List.of(new Server().url("/")))
                .components(new Components()
                        .addSecuritySchemes(BEARER, new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").bearerFormat("JWT")
                                .description("The accessToken of POST /api/auth/kakao/login or /api/auth/refresh."))
                        .addSchemas(ErrorResponses.PROBLEM_SCHEMA, problemSchema()));
    }

    /** RFC 9457 problem details with our stable {@code code}. */
    private static Schema<?> problemSchema() {
        Schema<?> fieldError = new ObjectSchema()
                .addProperty("field", new StringSchema())
                .addProperty("message", new StringSchema())
                .required(List.of("field", "message"));
        return new ObjectSchema()
                .description("An error (application/problem+json, RFC 9457). Switch on `code` (docs/api/errors.md).")
                .addProperty("type", new StringSchema().format("uri").description("urn:switchyard:problem:<code>"))
                .addProperty("title", new StringSchema())
                .addProperty("status", new IntegerSchema())
                .addProperty("detail", new StringSchema().description("For people; may change."))
                .addProperty("instance", new StringSchema().format("uri-reference").description("The request path."))
                .addProperty("code", new StringSchema().description("Stable error code from the catalog."))
                .addProperty("legacyCode", new StringSchema().description(
                        "The previous release's code for the same situation, sent for one release after a rename."))
                .addProperty("errors", new ArraySchema().items(fieldError)
                        .description("validation-failed: the fields and what is wrong with each."))
                .required(List.of("type", "title", "status", "detail", "code"));
    }

    @Bean
    OperationCustomizer bearerSecurity() {
        return (operation, handler) -> needsToken(handler)
                ? operation.addSecurityItem(new SecurityRequirement().addList(BEARER)) : operation;
    }

    @Bean
    OperationCustomizer errorResponses() {
        return new ErrorResponses();
    }

    @Bean
    OperationCustomizer nextCursorHeader() {
        return (operation, handler) -> {
            if (handler.hasMethodAnnotation(NextCursorHeader.class)) {
                ApiResponse ok = operation.getResponses().get("200");
                ok.addHeaderObject(NextCursorHeader.NAME, new Header()
                        .description("The cursor of the next page (pass it as `cursor`); absent on the last page.")
                        .schema(new StringSchema()));
            }
            return operation;
        };
    }

    @Bean
    ModelConverter requiredUnlessNullable() {
        return new RequiredUnlessNullable();
    }

    /** Everything under /api/ but the login flow needs an access token (SecurityConfig says the same). */
    static boolean needsToken(HandlerMethod handler) {
        RequestMapping type = handler.getBeanType().getAnnotation(RequestMapping.class);
        String prefix = type == null || type.value().length == 0 ? "" : type.value()[0];
        return !(prefix + "/").startsWith(PUBLIC_PREFIX);
    }
}
