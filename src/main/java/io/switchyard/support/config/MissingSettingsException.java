package io.switchyard.support.config;

import java.util.List;

/** Thrown at startup when the prod profile lacks required environment variables. */
public class MissingSettingsException extends RuntimeException {

    private final List<String> missing;

    public MissingSettingsException(List<String> missing) {
        super("Missing required environment variables for profile 'prod': " + String.join(", ", missing));
        this.missing = List.copyOf(missing);
    }

    public List<String> missing() {
        return missing;
    }
}
