package io.switchyard.chat;

import io.switchyard.support.security.CurrentUserId;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/rooms/{roomId}")
class MessageController {

    private final ChatService chat;

    MessageController(ChatService chat) {
        this.chat = chat;
    }

    /** Cursor paging by message id: {@code after} pages forward, {@code before} backward, neither: the newest. */
    @GetMapping("/messages")
    MessagePage messages(@CurrentUserId Long userId, @PathVariable long roomId,
            @RequestParam(required = false) Long before, @RequestParam(required = false) Long after,
            @RequestParam(required = false) Integer limit) {
        return chat.page(roomId, userId, before, after, limit);
    }

    @PostMapping("/read")
    ReadMarkerResponse read(@CurrentUserId Long userId, @PathVariable long roomId,
            @RequestBody(required = false) MarkReadRequest request) {
        return chat.markRead(roomId, userId, request == null ? null : request.lastReadId());
    }
}
