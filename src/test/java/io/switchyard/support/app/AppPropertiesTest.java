package io.switchyard.support.app;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.validation.Validation;
import jakarta.validation.Validator;
import org.junit.jupiter.api.Test;

/** The colors an instance may report: the VM kit's, and the pod-template hash deploy/k8s gives each pod. */
class AppPropertiesTest {

    private final Validator validator = Validation.buildDefaultValidatorFactory().getValidator();

    private boolean accepted(String color) {
        return validator.validate(new AppProperties("switchyard", color, "1.0.0", "prod")).isEmpty();
    }

    @Test
    void vmColorsAndPodTemplateHashesAreAccepted() {
        assertThat(accepted("blue")).isTrue();
        assertThat(accepted("green")).isTrue();
        assertThat(accepted("none")).isTrue();
        // as Kubernetes and Argo Rollouts write rollouts-pod-template-hash
        assertThat(accepted("6d4f8b9c7x")).isTrue();
        assertThat(accepted("5c9b8f6d4")).isTrue();
    }

    @Test
    void misspelledColorsAndOtherValuesAreRefused() {
        assertThat(accepted("gren")).isFalse();
        assertThat(accepted("Blue")).isFalse();
        assertThat(accepted("purple")).isFalse();
        assertThat(accepted("6d4f8b9c7x2")).as("longer than a hash").isFalse();
        assertThat(accepted("7c8d9e6f5b")).as("a vowel: not a hash").isFalse();
    }
}
