package io.switchyard.room;

import java.util.List;
import org.springframework.lang.Nullable;

/**
 * One page of a list: the items, and the cursor of the next page ({@code cursor=<nextCursor>}); null on the last.
 * Lists keep their JSON array bodies (as before paging): the cursor travels in the {@code X-Next-Cursor} header.
 */
public record Page<T>(List<T> items, @Nullable String nextCursor) {

    static final String NEXT_CURSOR_HEADER = "X-Next-Cursor";

    /** {@code fetched} holds up to limit + 1 items: one more than the page means there is a next page. */
    static <T> Page<T> of(List<T> fetched, int limit, java.util.function.Function<T, String> cursorOf) {
        if (fetched.size() <= limit) {
            return new Page<>(List.copyOf(fetched), null);
        }
        List<T> items = List.copyOf(fetched.subList(0, limit));
        return new Page<>(items, cursorOf.apply(items.get(limit - 1)));
    }
}
