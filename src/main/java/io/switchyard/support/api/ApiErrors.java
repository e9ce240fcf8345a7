package io.switchyard.support.api;

import io.switchyard.support.error.ErrorCode;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The catalog codes an operation answers besides the ones every operation of its kind does (401 without a token,
 * 400 for an unreadable body...: {@link ErrorResponses} adds those). The OpenAPI document lists them per status.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ApiErrors {

    ErrorCode[] value();
}
