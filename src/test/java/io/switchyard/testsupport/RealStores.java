package io.switchyard.testsupport;

/**
 * Where the real MariaDB and Redis for the integration tests are: scripts/test.sh starts them on 127.0.0.1 and
 * exports these variables; the defaults match what it creates.
 */
public final class RealStores {

    private RealStores() {
    }

    public static String mysqlUrl() {
        return env("SWITCHYARD_TEST_MYSQL_URL", "jdbc:mysql://127.0.0.1:3306/switchyard_test");
    }

    public static String mysqlUsername() {
        return env("SWITCHYARD_TEST_MYSQL_USERNAME", "switchyard_test");
    }

    public static String mysqlPassword() {
        return env("SWITCHYARD_TEST_MYSQL_PASSWORD", "switchyard_test");
    }

    public static String redisHost() {
        return env("SWITCHYARD_TEST_REDIS_HOST", "127.0.0.1");
    }

    public static int redisPort() {
        return Integer.parseInt(env("SWITCHYARD_TEST_REDIS_PORT", "6379"));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
