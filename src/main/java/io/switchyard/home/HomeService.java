package io.switchyard.home;

import io.switchyard.chat.MessageStore;
import io.switchyard.chat.MessageView;
import io.switchyard.room.Membership;
import io.switchyard.room.PopularRooms;
import io.switchyard.room.RoomService;
import io.switchyard.user.UserService;
import java.util.Comparator;
import java.util.List;
import org.springframework.stereotype.Service;

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
        List<HomeResponse.MyRoom> mine = rooms.membershipsOf(userId).stream()
                .map(membership -> myRoom(membership, userId))
                // most recently active first, rooms without messages last
                .sorted(Comparator.comparing((HomeResponse.MyRoom room) -> room.lastMessage() == null
                        ? null : room.lastMessage().createdAt(), Comparator.nullsLast(Comparator.reverseOrder())))
                .toList();
        return new HomeResponse(me, mine, popular.top());
    }

    private HomeResponse.MyRoom myRoom(Membership membership, long userId) {
        var room = membership.room();
        HomeResponse.LastMessage last = messages.latest(room.id()).map(HomeService::preview).orElse(null);
        long unread = last == null ? 0 : messages.countUnread(room.id(), membership.lastReadId(), userId);
        return new HomeResponse.MyRoom(room.id(), room.name(), room.memberCount(), last, membership.lastReadId(),
                unread);
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
