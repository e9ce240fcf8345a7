package io.switchyard.home;

import io.switchyard.chat.MessageStore;
import io.switchyard.chat.MessageView;
import io.switchyard.chat.Unread;
import io.switchyard.room.Membership;
import io.switchyard.room.PopularRooms;
import io.switchyard.room.RoomService;
import io.switchyard.user.UserService;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;

/**
 * The main page in a fixed number of store calls however many rooms the user is in: the profile and the
 * memberships from the database, every room's head (newest id and message) in one MongoDB query, the popular list
 * from Redis. Unread counts are "newest id - read marker", so nothing is counted.
 */
@Service
class HomeService {

    static final int PREVIEW_LENGTH = 100;

    private final UserService users;
    private final RoomService rooms;
    private final MessageStore messages;
    private final PopularRooms popular;

    HomeService(UserService users, RoomService rooms, MessageStore messages, PopularRooms popular) {
        this.users = users;
        this.rooms = rooms;
        this.messages = messages;
        this.popular = popular;
    }

    HomeResponse home(long userId) {
        var me = users.profile(userId);
        List<Membership> memberships = rooms.membershipsOf(userId);
        Map<Long, MessageStore.RoomHead> heads = messages.heads(memberships.stream().map(m -> m.room().id()).toList());
        List<HomeResponse.MyRoom> mine = memberships.stream()
                .map(membership -> myRoom(membership, heads.get(membership.room().id())))
                // most recently active first, rooms without messages last
                .sorted(Comparator.comparing((HomeResponse.MyRoom room) -> room.lastMessage() == null
                        ? null : room.lastMessage().createdAt(), Comparator.nullsLast(Comparator.reverseOrder())))
                .toList();
        return new HomeResponse(me, mine, popular.top());
    }

    private static HomeResponse.MyRoom myRoom(Membership membership, MessageStore.RoomHead head) {
        var room = membership.room();
        HomeResponse.LastMessage last = head == null ? null : preview(head.last());
        Unread unread = Unread.between(membership.lastReadId(), head == null ? 0 : head.newestId());
        return new HomeResponse.MyRoom(room.id(), room.name(), room.memberCount(), last, membership.lastReadId(),
                unread.count(), unread.capped());
    }

    private static HomeResponse.LastMessage preview(MessageView message) {
        String text = message.text();
        int end = Math.min(text.length(), PREVIEW_LENGTH);
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never cut an emoji in half
        }
        String preview = text.substring(0, end);
        return new HomeResponse.LastMessage(message.id(), message.senderId(), preview, message.createdAt());
    }
}
