package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.switchyard.support.error.ErrorCode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.messaging.handler.annotation.MessageMapping;
import org.springframework.messaging.simp.annotation.SubscribeMapping;
import org.springframework.stereotype.Controller;

/**
 * docs/api/asyncapi.yaml against the app: its channels are exactly the destinations the app serves (the
 * {@code @MessageMapping}/{@code @SubscribeMapping} methods under the application prefix, and what the subscribe
 * interceptor lets clients subscribe to), and its error codes are the catalog's STOMP codes. Writes the app's
 * destinations to target/stomp-destinations.json for the AsyncAPI parser test (tests/contract/asyncapi).
 */
class AsyncApiDocumentTest {

    static final Path DOCUMENT = Path.of("docs/api/asyncapi.yaml");
    static final Path DESTINATIONS = Path.of("target/stomp-destinations.json");

    private final JsonNode document = read();

    @Test
    void channelsAreTheDestinationsTheAppServes() throws IOException {
        Set<String> served = servedDestinations();
        Set<String> documented = new TreeSet<>();
        document.path("channels").forEach(channel -> {
            if (channel.path("address").isTextual()) {
                documented.add(channel.path("address").asText());
            }
        });

        assertThat(served).as("the app's mappings").contains("/app/rooms/{roomId}");
        assertThat(documented).as("channels of %s", DOCUMENT).isEqualTo(served);
        Files.createDirectories(DESTINATIONS.getParent());
        Files.writeString(DESTINATIONS, new ObjectMapper().writeValueAsString(served));
    }

    @Test
    void errorCodesAreTheCatalogsStompCodes() {
        assertThat(enumOf("queueErrorCode")).isEqualTo(codes(ErrorCode.Transport.STOMP_ERRORS_QUEUE));
        assertThat(enumOf("errorFrameCode")).isEqualTo(codes(ErrorCode.Transport.STOMP_ERROR_FRAME));
    }

    @Test
    void connectAndSubscribeHeadersAreTheOnesTheServerReads() {
        JsonNode schemas = document.path("components").path("schemas");
        assertThat(schemas.path("connectHeaders").path("required").toString()).contains("Authorization");
        assertThat(schemas.path("subscribeHeaders").path("properties").has(RoomSubscribeInterceptor.LAST_ID_HEADER))
                .isTrue();
        assertThat(schemas.path("sendHeaders").path("properties").has(MessageKey.HEADER)).isTrue();
        JsonNode receipt = document.path("components").path("messages").path("subscribeReceipt")
                .path("headers").path("properties");
        assertThat(receipt.has(StompFrames.REPLAY_TRUNCATED_HEADER)).isTrue();
        assertThat(receipt.has(StompFrames.REPLAY_FIRST_ID_HEADER)).isTrue();
        JsonNode errorFrame = document.path("components").path("messages").path("errorFrame").path("headers")
                .path("properties");
        assertThat(errorFrame.has(StompFrames.RECONNECT_HEADER)).isTrue();
        assertThat(errorFrame.has(StompFrames.REFRESH_HEADER)).isTrue();
        assertThat(document.path("servers").path("switchyard").path("pathname").asText())
                .isEqualTo(WebSocketConfig.ENDPOINT);
    }

    /** Mapped SEND destinations under the application prefix, plus the subscriptions the interceptor allows. */
    static Set<String> servedDestinations() {
        Set<String> served = new TreeSet<>();
        var scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(Controller.class));
        for (BeanDefinition candidate : scanner.findCandidateComponents("io.switchyard")) {
            Class<?> type = load(candidate.getBeanClassName());
            for (Method method : type.getDeclaredMethods()) {
                MessageMapping send = AnnotatedElementUtils.findMergedAnnotation(method, MessageMapping.class);
                SubscribeMapping subscribe = AnnotatedElementUtils.findMergedAnnotation(method, SubscribeMapping.class);
                String[] paths = send != null ? send.value() : subscribe != null ? subscribe.value() : new String[0];
                Arrays.stream(paths).forEach(path -> served.add(WebSocketConfig.APP_PREFIX + path));
            }
        }
        served.add(RoomSubscribeInterceptor.ROOM_PREFIX + "{roomId}");
        served.add(RoomSubscribeInterceptor.USER_ERRORS);
        return served;
    }

    private Set<String> enumOf(String schema) {
        Set<String> values = new TreeSet<>();
        document.path("components").path("schemas").path(schema).path("enum").forEach(v -> values.add(v.asText()));
        return values;
    }

    private static Set<String> codes(ErrorCode.Transport transport) {
        return Arrays.stream(ErrorCode.values()).filter(code -> code.transports().contains(transport))
                .map(ErrorCode::code).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read() {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(DOCUMENT.toFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DOCUMENT, e);
        }
    }
}
