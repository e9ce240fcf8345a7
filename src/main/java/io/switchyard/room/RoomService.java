package io.switchyard.room;

import io.switchyard.support.error.ApiException;
import io.switchyard.support.error.ErrorCode;
import io.switchyard.user.AccountDeleting;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/** Rooms and who is in them. Every operation on a room checks it exists (404) and that the caller is in it (403). */
@Service
public class RoomService {

    private final RoomRepository rooms;
    private final RoomMemberRepository members;
    private final Clock clock;
    private final ApplicationEventPublisher events;
    private final NewestMessages newest;
    private final TransactionTemplate inOwnTransaction;
    private final RoomProperties properties;

    RoomService(RoomRepository rooms, RoomMemberRepository members, Clock clock, ApplicationEventPublisher events,
            NewestMessages newest, PlatformTransactionManager transactions, RoomProperties properties) {
        this.properties = properties;
        this.rooms = rooms;
        this.members = members;
        this.clock = clock;
        this.events = events;
        this.newest = newest;
        this.inOwnTransaction = new TransactionTemplate(transactions);
        this.inOwnTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    @Transactional
    public RoomSummary create(long ownerId, String rawName) {
        String name = validName(rawName);
        Room room = rooms.save(Room.open(name, ownerId, clock.instant()));
        members.save(RoomMember.join(room.getId(), ownerId, clock.instant(), 0));
        return new RoomSummary(room.getId(), room.getName(), ownerId, 1, room.getCreatedAt());
    }

    /** A page of my rooms, oldest room first; {@code cursor}: the previous page's next cursor (null: the start). */
    @Transactional(readOnly = true)
    public Page<RoomSummary> roomsOf(long userId, String cursor, Integer limit) {
        int size = pageSize(limit);
        long after = cursor == null ? 0 : PageCursors.roomId(cursor);
        return Page.of(rooms.findSummariesOfMember(userId, after, PageRequest.of(0, size + 1)), size,
                room -> PageCursors.ofRoom(room.id()));
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

    /**
     * Joining twice is fine, even at the same moment: the second call changes nothing. The new member's read marker
     * starts at the room's newest message: what was said before they came is history, not unread.
     *
     * <p>Not one transaction: the insert runs in its own, so that losing the race for the (room, user) key rolls back
     * only that attempt, not the answer (a failed flush would mark a surrounding transaction rollback-only).
     */
    public RoomSummary join(long roomId, long userId) {
        Room room = existing(roomId);
        if (!members.isMember(roomId, userId)) {
            long marker = newest.newestId(roomId);
            try {
                inOwnTransaction.executeWithoutResult(status ->
                        members.saveAndFlush(RoomMember.join(roomId, userId, clock.instant(), marker)));
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

    /** A page of the room's members in joining order. */
    @Transactional(readOnly = true)
    public Page<RoomMemberResponse> members(long roomId, long userId, String cursor, Integer limit) {
        int size = pageSize(limit);
        PageCursors.MemberPosition after = cursor == null ? null : PageCursors.member(cursor);
        requireMember(roomId, userId);
        PageRequest page = PageRequest.of(0, size + 1);
        List<RoomMemberResponse> fetched = after == null ? members.findMembers(roomId, page)
                : members.findMembersAfter(roomId, after.joinedAt(), after.userId(), page);
        return Page.of(fetched, size, member -> PageCursors.ofMember(member.joinedAt(), member.userId()));
    }

    private int pageSize(Integer limit) {
        int size = limit == null ? properties.defaultPageSize() : limit;
        if (size < 1) {
            throw new ApiException(ErrorCode.INVALID_LIMIT, "limit must be at least 1.");
        }
        return Math.min(size, properties.maxPageSize());
    }

    /** An account being deleted leaves every room, in the deletion's transaction; live delivery stops after it. */
    @EventListener
    public void onAccountDeleting(AccountDeleting deleting) {
        long userId = deleting.userId();
        for (RoomMember membership : members.findByUser(userId)) {
            members.leave(membership.roomId(), userId);
            events.publishEvent(new RoomLeft(membership.roomId(), userId));
        }
    }

    /** 404 for an unknown room, 403 when the user is not in it. */
    @Transactional(readOnly = true)
    public void requireMember(long roomId, long userId) {
        if (!members.isMember(roomId, userId)) {
            existing(roomId);
            throw new ApiException(ErrorCode.NOT_A_MEMBER, "You are not a member of this room.");
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

    /**
     * Sending a message means having seen the room up to it: the sender's marker moves forward to it (never back),
     * so unread counts are simply "newest id - marker". One UPDATE, no membership check: the send checked.
     */
    @Transactional
    public void markSent(long roomId, long userId, long messageId) {
        members.advanceReadMarker(roomId, userId, messageId);
    }

    private Room existing(long roomId) {
        return rooms.findById(roomId).orElseThrow(() -> new ApiException(ErrorCode.ROOM_NOT_FOUND,
                "There is no room " + roomId + "."));
    }

    private RoomSummary summary(Room room) {
        long count = members.countInRoom(room.getId());
        return new RoomSummary(room.getId(), room.getName(), room.getOwnerId(), count, room.getCreatedAt());
    }

    static String validName(String raw) {
        String name = raw == null ? "" : raw.strip();
        if (name.isEmpty()) {
            throw invalidName("must not be blank");
        }
        if (name.length() > Room.NAME_MAX) {
            throw invalidName("size must be between 1 and " + Room.NAME_MAX);
        }
        if (name.chars().anyMatch(Character::isISOControl)) {
            throw invalidName("must not contain control characters");
        }
        return name;
    }

    /** The same code and shape as the request's bean validation; the previous release said invalid-room-name. */
    private static ApiException invalidName(String message) {
        return ApiException.invalidField("name", message).renamedFromLegacyCode();
    }
}
