package io.switchyard.support.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A list answered as a JSON array, one page of it, with the next page's cursor in {@code X-Next-Cursor}. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface NextCursorHeader {

    String NAME = "X-Next-Cursor";
}
