package io.switchyard.room;

import java.util.List;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

interface RoomRepository extends JpaRepository<Room, Long> {

    @Query("""
            select new io.switchyard.room.RoomSummary(r.id, r.name, r.ownerId,
                (select count(c) from RoomMember c where c.id.roomId = r.id), r.createdAt)
            from Room r join RoomMember m on m.id.roomId = r.id
            where m.id.userId = :userId
            order by r.id""")
    List<RoomSummary> findSummariesOfMember(long userId);

    /** A page of my rooms, by id, after the room {@code afterId}. */
    @Query("""
            select new io.switchyard.room.RoomSummary(r.id, r.name, r.ownerId,
                (select count(c) from RoomMember c where c.id.roomId = r.id), r.createdAt)
            from Room r join RoomMember m on m.id.roomId = r.id
            where m.id.userId = :userId and r.id > :afterId
            order by r.id""")
    List<RoomSummary> findSummariesOfMember(long userId, long afterId, Pageable page);

    /** Most members first; among equals the newer room. */
    @Query("""
            select new io.switchyard.room.RoomSummary(r.id, r.name, r.ownerId, count(m), r.createdAt)
            from Room r join RoomMember m on m.id.roomId = r.id
            group by r.id, r.name, r.ownerId, r.createdAt
            order by count(m) desc, r.id desc""")
    List<RoomSummary> findMostPopular(Pageable page);
}
