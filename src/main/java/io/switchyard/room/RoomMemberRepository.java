package io.switchyard.room;

import java.time.Instant;
import java.util.List;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

interface RoomMemberRepository extends JpaRepository<RoomMember, RoomMember.Key> {

    @Query("select count(m) > 0 from RoomMember m where m.id.roomId = :roomId and m.id.userId = :userId")
    boolean isMember(long roomId, long userId);

    @Query("select count(m) from RoomMember m where m.id.roomId = :roomId")
    long countInRoom(long roomId);

    @Query("select m from RoomMember m where m.id.userId = :userId")
    List<RoomMember> findByUser(long userId);

    @Query("""
            select new io.switchyard.room.RoomMemberResponse(u.id, u.nickname, u.thumbnailImageUrl, m.joinedAt)
            from RoomMember m, io.switchyard.user.User u
            where u.id = m.id.userId and m.id.roomId = :roomId
            order by m.joinedAt, u.id""")
    List<RoomMemberResponse> findMembers(long roomId, Pageable page);

    /** A page of members in joining order, after the member who joined at {@code joinedAt} with id {@code userId}. */
    @Query("""
            select new io.switchyard.room.RoomMemberResponse(u.id, u.nickname, u.thumbnailImageUrl, m.joinedAt)
            from RoomMember m, io.switchyard.user.User u
            where u.id = m.id.userId and m.id.roomId = :roomId
              and (m.joinedAt > :joinedAt or (m.joinedAt = :joinedAt and u.id > :userId))
            order by m.joinedAt, u.id""")
    List<RoomMemberResponse> findMembersAfter(long roomId, Instant joinedAt, long userId, Pageable page);

    @Modifying
    @Query("delete from RoomMember m where m.id.roomId = :roomId and m.id.userId = :userId")
    int leave(long roomId, long userId);

    /** The marker only moves forward: a late or replayed request cannot make read messages unread again. */
    @Modifying
    @Query("""
            update RoomMember m set m.lastReadId = :readId
            where m.id.roomId = :roomId and m.id.userId = :userId and m.lastReadId < :readId""")
    int advanceReadMarker(long roomId, long userId, long readId);

    @Query("select m.lastReadId from RoomMember m where m.id.roomId = :roomId and m.id.userId = :userId")
    Long findReadMarker(long roomId, long userId);
}
