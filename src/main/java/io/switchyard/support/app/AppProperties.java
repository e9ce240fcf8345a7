package io.switchyard.support.app;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Who this instance is: the deploy scripts and nginx tell blue from green by {@code color}.
 *
 * @param name    service name, also the APM service name
 * @param color   {@code blue}, {@code green} or {@code none} (env {@code APP_COLOR}); on Kubernetes (deploy/k8s) the
 *                pod-template hash of the pod's ReplicaSet: up to 10 of Kubernetes' safe characters (no vowels,
 *                no 0, 1 or 3), so a misspelled blue or green is still refused
 * @param version release version (env {@code APP_VERSION}, defaults to the Maven version)
 * @param env     deployment environment, e.g. {@code dev}, {@code prod} (env {@code APP_ENV})
 */
@Validated
@ConfigurationProperties("switchyard.app")
public record AppProperties(
        @NotBlank String name,
        @Pattern(regexp = "blue|green|none|[bcdfghjklmnpqrstvwxz2456789]{1,10}",
                message = "must be blue, green, none or a pod-template hash") String color,
        @NotBlank String version,
        @NotBlank String env) {
}
