package io.switchyard.support.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param maxRequestBody the largest request body the API accepts; bigger ones get 413 before any parsing
 */
@ConfigurationProperties("switchyard.web")
public record WebProperties(@DefaultValue("1MB") DataSize maxRequestBody) {
}
