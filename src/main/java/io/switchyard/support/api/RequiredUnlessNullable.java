package io.switchyard.support.api;

import com.fasterxml.jackson.databind.JavaType;
import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverter;
import io.swagger.v3.core.converter.ModelConverterContext;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.media.Schema;
import java.lang.reflect.RecordComponent;
import java.util.Iterator;
import org.springframework.lang.Nullable;

/**
 * Which fields may be absent, in the document as on the wire: a component of our request and response records is
 * required unless marked {@link Nullable}. The JSON leaves null fields out, so "nullable" here means "may be
 * absent", and every other field is always there. A field that was always there and disappears is then a breaking
 * change the gate sees (a removed required response field), as is a new field a request must carry.
 */
class RequiredUnlessNullable implements ModelConverter {

    private static final String OUR_PACKAGE = "io.switchyard.";

    @Override
    public Schema<?> resolve(AnnotatedType type, ModelConverterContext context, Iterator<ModelConverter> chain) {
        Schema<?> schema = chain.hasNext() ? chain.next().resolve(type, context, chain) : null;
        JavaType javaType = Json.mapper().constructType(type.getType());
        Class<?> raw = javaType == null ? null : javaType.getRawClass();
        if (schema == null || raw == null || !raw.isRecord() || !raw.getName().startsWith(OUR_PACKAGE)) {
            return schema;
        }
        Schema<?> model = schema;
        if (schema.get$ref() != null) {
            String name = schema.get$ref().substring(schema.get$ref().lastIndexOf('/') + 1);
            model = context.getDefinedModels().get(name);
        }
        if (model == null || model.getProperties() == null) {
            return schema;
        }
        for (RecordComponent component : raw.getRecordComponents()) {
            boolean mayBeAbsent = component.getAccessor().isAnnotationPresent(Nullable.class);
            String name = component.getName();
            if (!mayBeAbsent && model.getProperties().containsKey(name)
                    && (model.getRequired() == null || !model.getRequired().contains(name))) {
                model.addRequiredItem(name);
            }
        }
        return schema;
    }
}
