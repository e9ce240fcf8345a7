package io.switchyard.chat;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.switchyard.support.api.ApiErrors;
import io.switchyard.support.error.ErrorCode;
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
@Tag(name = "rooms")
class MessageController {

    private final ChatService chat;

    MessageController(ChatService chat) {
        this.chat = chat;
    }

    /** Cursor paging by message id: {@code after} pages forward, {@code before} backward, neither: the newest. */
    @Operation(summary = "A page of messages, oldest first: no cursor the newest; before= older; after= newer "
            + "(limit: default 50, at most 100); nextCursor continues in the same direction")
    @ApiErrors({ErrorCode.ROOM_NOT_FOUND, ErrorCode.NOT_A_MEMBER, ErrorCode.INVALID_LIMIT, ErrorCode.INVALID_CURSOR})
    @GetMapping("/messages")
    MessagePage messages(@CurrentUserId Long userId, @PathVariable long roomId,
            @RequestParam(required = false) Long before, @RequestParam(required = false) Long after,
            @RequestParam(required = false) Integer limit) {
        return chat.page(roomId, userId, before, after, limit);
    }

    @Operation(summary = "Move my read marker forward (no body: to the newest message)")
    @ApiErrors({ErrorCode.ROOM_NOT_FOUND, ErrorCode.NOT_A_MEMBER})
    @PostMapping("/read")
    ReadMarkerResponse read(@CurrentUserId Long userId, @PathVariable long roomId,
            @RequestBody(required = false) MarkReadRequest request) {
        return chat.markRead(roomId, userId, request == null ? null : request.lastReadId());
    }
}
