package io.switchyard.room;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.switchyard.support.api.ApiErrors;
import io.switchyard.support.api.NextCursorHeader;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.support.security.CurrentUserId;
import jakarta.validation.Valid;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/rooms")
@Tag(name = "rooms", description = "Chat rooms and their members")
class RoomController {

    private final RoomService rooms;
    private final PopularRooms popular;

    RoomController(RoomService rooms, PopularRooms popular) {
        this.rooms = rooms;
        this.popular = popular;
    }

    @Operation(summary = "Create a room (name 1-50 characters, trimmed, no control characters); I am its first member")
    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    RoomSummary create(@CurrentUserId Long userId, @Valid @RequestBody CreateRoomRequest request) {
        return rooms.create(userId, request.name());
    }

    @Operation(summary = "My rooms, oldest first, one page (limit: default 100, at most 100)")
    @ApiErrors({ErrorCode.INVALID_LIMIT, ErrorCode.INVALID_CURSOR})
    @NextCursorHeader
    @GetMapping
    ResponseEntity<List<RoomSummary>> mine(@CurrentUserId Long userId,
            @RequestParam(required = false) String cursor, @RequestParam(required = false) Integer limit) {
        return paged(rooms.roomsOf(userId, cursor, limit));
    }

    @Operation(summary = "The most-joined rooms (at most 10, not paged; cached for 30 s)")
    @GetMapping("/popular")
    List<RoomSummary> popular() {
        return popular.top();
    }

    @Operation(summary = "Join a room (idempotent)")
    @ApiErrors(ErrorCode.ROOM_NOT_FOUND)
    @PostMapping("/{roomId}/join")
    RoomSummary join(@CurrentUserId Long userId, @PathVariable long roomId) {
        return rooms.join(roomId, userId);
    }

    @Operation(summary = "Leave a room")
    @ApiErrors({ErrorCode.ROOM_NOT_FOUND, ErrorCode.NOT_A_MEMBER})
    @PostMapping("/{roomId}/leave")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void leave(@CurrentUserId Long userId, @PathVariable long roomId) {
        rooms.leave(roomId, userId);
    }

    @Operation(summary = "The room's members in joining order, one page (limit: default 100, at most 100)")
    @ApiErrors({ErrorCode.ROOM_NOT_FOUND, ErrorCode.NOT_A_MEMBER, ErrorCode.INVALID_LIMIT, ErrorCode.INVALID_CURSOR})
    @NextCursorHeader
    @GetMapping("/{roomId}/members")
    ResponseEntity<List<RoomMemberResponse>> members(@CurrentUserId Long userId, @PathVariable long roomId,
            @RequestParam(required = false) String cursor, @RequestParam(required = false) Integer limit) {
        return paged(rooms.members(roomId, userId, cursor, limit));
    }

    private static <T> ResponseEntity<List<T>> paged(Page<T> page) {
        ResponseEntity.BodyBuilder answer = ResponseEntity.ok();
        if (page.nextCursor() != null) {
            answer.header(Page.NEXT_CURSOR_HEADER, page.nextCursor());
        }
        return answer.body(page.items());
    }
}
