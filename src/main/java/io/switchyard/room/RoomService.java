package io.switchyard.room;

import io.switchyard.support.error.ApiException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Rooms and who is in them. Every operation on a room checks it exists (404) and that the caller is in it (403). */
@Service
public class RoomService {

    private final RoomRepository rooms;
    private final RoomMemberRepository members;
    private final Clock clock;
    private final ApplicationEventPublisher events;

    RoomService(RoomRepository rooms, RoomMemberRepository members, Clock clock, ApplicationEventPublisher events) {
        this.rooms = rooms;
        this.members = members;
        this.clock = clock;
        this.events = events;
    }

    @Transactional
    public RoomSummary create(long ownerId, String rawName) {
        String name = validName(rawName);
        Room room = rooms.save(Room.open(name, ownerId, clock.instant()));
        members.save(RoomMember.join(room.getId(), ownerId, clock.instant()));
        return new RoomSummary(room.getId(), room.getName(), ownerId, 1, room.getCreatedAt());
    }

    @Transactional(readOnly = true)
    public List<RoomSummary> roomsOf(long userId) {
        return rooms.findSummariesOfMember(userId);
    }

    /** My rooms with my read marker in each. */
    @Transactional(readOnly = true)
    public List<Membership> membershipsOf(long userId) {
        Map<Long, Long> markers = new HashMap<>();
        members.findByUser(userId).forEach(m -> markers.put(m.roomId(), m.lastReadId()));
        return rooms.findSummariesOfMember(userId).stream()
                .map(room -> new Membership(room, markers.getOrDefault(room.id(), 0L)))
                .toList();
    }

    /** Joining twice is fine: the second call changes nothing. */
    @Transactional
    public RoomSummary join(long roomId, long userId) {
        Room room = existing(roomId);
        if (!members.isMember(roomId, userId)) {
            try {
                members.saveAndFlush(RoomMember.join(roomId, userId, clock.instant()));
            } catch (DataIntegrityViolationException concurrentJoin) {
                // the same user joined from another request at the same moment: they are a member, as asked
            }
        }
        return summary(room);
    }

    @Transactional
    public void leave(long roomId, long userId) {
        requireMember(roomId, userId);
        members.leave(roomId, userId);
        events.publishEvent(new RoomLeft(roomId, userId));
    }

    @Transactional(readOnly = true)
    public List<RoomMemberResponse> members(long roomId, long userId) {
        requireMember(roomId, userId);
        return members.findMembers(roomId);
    }

    /** 404 for an unknown room, 403 when the user is not in it. */
    @Transactional(readOnly = true)
    public void requireMember(long roomId, long userId) {
        if (!members.isMember(roomId, userId)) {
            existing(roomId);
            throw new ApiException(HttpStatus.FORBIDDEN, "not-a-member", "You are not a member of this room.");
        }
    }

    /** Moves my read marker forward to {@code readId} (never backward); returns the marker now stored. */
    @Transactional
    public long markRead(long roomId, long userId, long readId) {
        requireMember(roomId, userId);
        members.advanceReadMarker(roomId, userId, readId);
        Long marker = members.findReadMarker(roomId, userId);
        return marker == null ? 0 : marker;
    }

    private Room existing(long roomId) {
        return rooms.findById(roomId).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "room-not-found",
                "There is no room " + roomId + "."));
    }

    private RoomSummary summary(Room room) {
        long count = members.countInRoom(room.getId());
        return new RoomSummary(room.getId(), room.getName(), room.getOwnerId(), count, room.getCreatedAt());
    }

    static String validName(String raw) {
        String name = raw == null ? "" : raw.strip();
        if (name.isEmpty()) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid-room-name", "A room name must not be blank.");
        }
        if (name.length() > Room.NAME_MAX) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid-room-name",
                    "A room name has at most " + Room.NAME_MAX + " characters.");
        }
        if (name.chars().anyMatch(Character::isISOControl)) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid-room-name",
                    "A room name must not contain control characters.");
        }
        return name;
    }
}
