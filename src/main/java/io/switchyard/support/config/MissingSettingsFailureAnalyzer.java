package io.switchyard.support.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints the missing settings as a short, actionable message instead of a stack trace. */
public class MissingSettingsFailureAnalyzer extends AbstractFailureAnalyzer<MissingSettingsException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MissingSettingsException cause) {
        return new FailureAnalysis(
                "The prod profile needs these environment variables, which are not set: "
                        + String.join(", ", cause.missing()) + ".",
                "Set them in the environment file of this deployment (see the Configuration table in README.md), "
                        + "or run without SPRING_PROFILES_ACTIVE=prod to use the embedded stand-ins.",
                cause);
    }
}
