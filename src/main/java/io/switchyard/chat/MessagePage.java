package io.switchyard.chat;

import java.util.List;
import org.springframework.lang.Nullable;

/**
 * Messages oldest first; {@code hasMore}: further messages exist past the end the cursor moves towards.
 *
 * @param nextCursor when {@code hasMore}: the id to pass as the same parameter for the next page ({@code before}
 *                   when paging back, the default; {@code after} when paging forward); absent otherwise
 */
record MessagePage(List<MessageView> messages, boolean hasMore, @Nullable Long nextCursor) {
}
