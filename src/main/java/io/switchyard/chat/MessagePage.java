package io.switchyard.chat;

import java.util.List;

/** Messages oldest first; {@code hasMore}: further messages exist past the end the cursor moves towards. */
record MessagePage(List<MessageView> messages, boolean hasMore) {
}
