package io.switchyard.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchyard.support.error.ApiException;
import org.junit.jupiter.api.Test;

class RoomNameTest {

    @Test
    void namesAreTrimmedAndLimited() {
        assertThat(RoomService.validName("  lobby \t")).isEqualTo("lobby");
        assertThat(RoomService.validName("방".repeat(50))).hasSize(50);
        for (String bad : new String[] {null, "", "   ", "x".repeat(51), "a\nb", "bell\u0007"}) {
            assertThatThrownBy(() -> RoomService.validName(bad)).as(String.valueOf(bad))
                    .isInstanceOf(ApiException.class)
                    .satisfies(e -> {
                        ApiException refused = (ApiException) e;
                        assertThat(refused.code()).isEqualTo("validation-failed");
                        assertThat(refused.fieldErrors()).extracting(f -> f.get("field")).containsExactly("name");
                        // the previous release's name, sent beside it for one release
                        assertThat(refused.legacyCode()).isEqualTo("invalid-room-name");
                    });
        }
    }
}
