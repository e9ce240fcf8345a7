package io.switchyard.room;

import io.switchyard.support.security.CurrentUserId;
import jakarta.validation.Valid;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/rooms")
class RoomController {

    private final RoomService rooms;
    private final PopularRooms popular;

    RoomController(RoomService rooms, PopularRooms popular) {
        this.rooms = rooms;
        this.popular = popular;
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    RoomSummary create(@CurrentUserId Long userId, @Valid @RequestBody CreateRoomRequest request) {
        return rooms.create(userId, request.name());
    }

    @GetMapping
    List<RoomSummary> mine(@CurrentUserId Long userId) {
        return rooms.roomsOf(userId);
    }

    @GetMapping("/popular")
    List<RoomSummary> popular() {
        return popular.top();
    }

    @PostMapping("/{roomId}/join")
    RoomSummary join(@CurrentUserId Long userId, @PathVariable long roomId) {
        return rooms.join(roomId, userId);
    }

    @PostMapping("/{roomId}/leave")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void leave(@CurrentUserId Long userId, @PathVariable long roomId) {
        rooms.leave(roomId, userId);
    }

    @GetMapping("/{roomId}/members")
    List<RoomMemberResponse> members(@CurrentUserId Long userId, @PathVariable long roomId) {
        return rooms.members(roomId, userId);
    }
}
