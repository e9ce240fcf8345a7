package io.switchyard.elk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** docker compose cannot run here: the compose file and configs are checked for the promised properties. */
@SuppressWarnings("unchecked")
class ComposeTest {

    private static final Path ELK = Repo.elk();
    private static final Map<String, Object> COMPOSE = new Yaml().load(Repo.read(ELK.resolve("docker-compose.yml")));
    private static final Map<String, Map<String, Object>> SERVICES = (Map<String, Map<String, Object>>) COMPOSE.get("services");

    @Test
    void allFourComponentsAndSetupArePresent() {
        assertEquals(List.of("setup", "elasticsearch", "logstash", "kibana", "apm-server"), List.copyOf(SERVICES.keySet()));
    }

    @Test
    void versionsArePinnedInDotEnv() throws Exception {
        Properties env = new Properties();
        env.load(Files.newBufferedReader(ELK.resolve(".env")));
        assertTrue(Pattern.matches("\\d+\\.\\d+\\.\\d+", env.getProperty("ELASTIC_VERSION")), env.getProperty("ELASTIC_VERSION"));
        SERVICES.forEach((name, svc) -> {
            String image = String.valueOf(svc.get("image"));
            assertTrue(image.endsWith(":${ELASTIC_VERSION:?ELASTIC_VERSION missing from elk/.env}"), name + ": " + image);
            assertFalse(image.contains("latest"), name);
        });
        for (String key : env.stringPropertyNames()) {
            assertFalse(key.contains("PASSWORD") || key.contains("TOKEN") || key.contains("KEY"), ".env holds no secret: " + key);
        }
    }

    @Test
    void everyPortIsBoundToTheBindAddressLoopbackByDefault() throws Exception {
        SERVICES.forEach((name, svc) -> {
            for (Object port : (List<Object>) svc.getOrDefault("ports", List.of())) {
                assertTrue(String.valueOf(port).startsWith("${ELK_BIND_ADDRESS:-127.0.0.1}:"), name + " publishes " + port);
            }
        });
        Properties env = new Properties();
        env.load(Files.newBufferedReader(ELK.resolve(".env")));
        assertEquals("127.0.0.1", env.getProperty("ELK_BIND_ADDRESS"), "loopback unless the operator opens it");
    }

    @Test
    void configIsMountedReadOnlyAndDataLivesInNamedVolumes() {
        Map<String, Object> volumes = (Map<String, Object>) COMPOSE.get("volumes");
        assertTrue(volumes.containsKey("elasticsearch-data"));
        SERVICES.forEach((name, svc) -> {
            for (Object v : (List<Object>) svc.getOrDefault("volumes", List.of())) {
                String[] parts = String.valueOf(v).split(":");
                String source = parts[0];
                if (source.startsWith(".")) {
                    assertTrue(String.valueOf(v).endsWith(":ro"), name + " mounts config read-write: " + v);
                    assertTrue(Files.exists(ELK.resolve(source).normalize()), name + " mounts a missing path: " + source);
                } else if (!source.startsWith("$")) {
                    assertTrue(volumes.containsKey(source), name + " uses an undeclared volume " + source);
                }
            }
        });
        assertTrue(String.valueOf(SERVICES.get("elasticsearch").get("volumes")).contains("elasticsearch-data:/usr/share/elasticsearch/data"));
    }

    @Test
    void heapsAreSetAndSecretsComeFromTheEnvironment() {
        Map<String, Object> es = (Map<String, Object>) SERVICES.get("elasticsearch").get("environment");
        Map<String, Object> ls = (Map<String, Object>) SERVICES.get("logstash").get("environment");
        assertTrue(String.valueOf(es.get("ES_JAVA_OPTS")).contains("-Xmx"));
        assertTrue(String.valueOf(ls.get("LS_JAVA_OPTS")).contains("-Xmx"));
        SERVICES.forEach((name, svc) -> {
            Map<String, Object> env = (Map<String, Object>) svc.getOrDefault("environment", Map.of());
            env.forEach((k, v) -> {
                if (k.contains("PASSWORD") || k.contains("TOKEN") || k.contains("ENCRYPTION_KEY")) {
                    assertTrue(String.valueOf(v).matches("\\$\\{" + k + ":\\?[^}]+}"), name + ": " + k + " must be ${" + k + ":?...}");
                }
            });
        });
        assertTrue(Repo.read(ELK.resolve(".gitignore")).lines().anyMatch("secrets.env"::equals));
        assertTrue(Files.exists(ELK.resolve("secrets.env.example")));
    }

    @Test
    void securityIsOnAndServicesAuthenticate() {
        Map<String, Object> esYml = new Yaml().load(Repo.read(ELK.resolve("elasticsearch/config/elasticsearch.yml")));
        assertEquals(true, esYml.get("xpack.security.enabled"));
        Map<String, Object> kibana = new Yaml().load(Repo.read(ELK.resolve("kibana/config/kibana.yml")));
        assertEquals("kibana_system", kibana.get("elasticsearch.username"));
        assertEquals("${KIBANA_SYSTEM_PASSWORD}", kibana.get("elasticsearch.password"));
        Map<String, Object> apm = new Yaml().load(Repo.read(ELK.resolve("apm-server/config/apm-server.yml")));
        Map<String, Object> out = (Map<String, Object>) apm.get("output.elasticsearch");
        assertEquals("apm_server_internal", out.get("username"));
        Map<String, Object> auth = (Map<String, Object>) ((Map<String, Object>) apm.get("apm-server")).get("auth");
        assertEquals("${APM_SECRET_TOKEN}", auth.get("secret_token"));
        String setup = Repo.read(ELK.resolve("setup/setup.sh"));
        assertTrue(setup.contains("/_security/user/apm_server_internal") && setup.contains("/_security/user/kibana_system/_password"));
    }

    @Test
    void dependentServicesWaitForSetup() {
        for (String name : List.of("logstash", "kibana", "apm-server")) {
            Map<String, Object> deps = (Map<String, Object>) SERVICES.get(name).get("depends_on");
            assertEquals("service_completed_successfully", ((Map<String, Object>) deps.get("setup")).get("condition"), name);
        }
    }
}
