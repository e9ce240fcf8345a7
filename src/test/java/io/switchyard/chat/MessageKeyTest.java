package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.support.error.ApiException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageKeyTest {

    @Test
    void noHeaderMeansNoKey() {
        assertThat(MessageKey.valid(null)).isNull();
    }

    @Test
    void keysOfOneToAHundredVisibleAsciiCharactersAreTakenAsSent() {
        String uuid = UUID.randomUUID().toString();
        assertThat(MessageKey.valid(uuid)).isEqualTo(uuid);
        assertThat(MessageKey.valid("k")).isEqualTo("k");
        assertThat(MessageKey.valid("x".repeat(100))).hasSize(100);
        assertThat(MessageKey.valid("!~:/{}\"\\")).isEqualTo("!~:/{}\"\\");
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : new String[] {"", "x".repeat(101), " ", "two words", " lead", "trail ", "tab\there",
                "line\nbreak", "nul\u0000", "del\u007f", "caf\u00e9", "\uD83D\uDE00"}) {
            assertThatThrownBy(() -> MessageKey.valid(bad)).as(bad)
                    .isInstanceOf(ApiException.class)
                    .extracting(e -> ((ApiException) e).code()).isEqualTo("invalid-message-key");
        }
    }
}
