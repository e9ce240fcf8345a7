package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.messaging.Message;
import org.springframework.messaging.simp.SimpMessageHeaderAccessor;

/** The replay/live hand-over of one subscriber, without a server: what reaches the client, in which order. */
class RoomSubscriptionsTest {

    private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    private final List<Message<?>> sent = new ArrayList<>();
    private final ClientChannel client = new ClientChannel(null) {
        @Override
        void send(String sessionId, Message<?> message) {
            sent.add(message);
        }
    };
    private final RoomSubscriptions subscriptions = new RoomSubscriptions(client, json);

    @Test
    void liveMessagesDuringReplayAreBufferedAndDeduplicated() throws Exception {
        var subscription = subscriptions.add("s1", "sub-0", "/topic/rooms/7", 7, 100, true);

        subscriptions.deliver(message(7, 12)); // published while the replay reads MongoDB
        subscription.replay(message(7, 11));
        subscription.replay(message(7, 12)); // stored before the read, so also in the replay
        subscriptions.deliver(message(7, 13));
        assertThat(ids()).as("nothing live before the replay is done").containsExactly(11L, 12L);

        subscription.replayFinished();
        subscriptions.deliver(message(7, 14));
        subscriptions.deliver(message(7, 12)); // a late publish of a replayed message

        assertThat(ids()).containsExactly(11L, 12L, 13L, 14L);
        SimpMessageHeaderAccessor headers = SimpMessageHeaderAccessor.wrap(sent.get(0));
        assertThat(headers.getSubscriptionId()).isEqualTo("sub-0");
        assertThat(headers.getSessionId()).isEqualTo("s1");
        assertThat(headers.getDestination()).isEqualTo("/topic/rooms/7");
    }

    @Test
    void onlySubscribersOfTheRoomGetItAndNotAfterLeaving() throws Exception {
        subscriptions.add("s1", "a", "/topic/rooms/1", 1, 100, false);
        subscriptions.add("s2", "b", "/topic/rooms/2", 2, 200, false);
        subscriptions.add("s3", "c", "/topic/rooms/2", 2, 300, false);

        subscriptions.deliver(message(1, 1));
        subscriptions.remove("s1", "a");
        subscriptions.deliver(message(1, 2));
        subscriptions.removeSession("s2");
        subscriptions.removeMember(2, 300);
        subscriptions.deliver(message(2, 1));

        assertThat(ids()).containsExactly(1L);
        assertThat(subscriptions.count()).isZero();
    }

    @Test
    void roomDestinationsAreParsedStrictly() {
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/42")).isEqualTo(42L);
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/0")).isNull();
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/x")).isNull();
        assertThat(RoomSubscribeInterceptor.roomId("/topic/rooms/1/2")).isNull();
        assertThat(RoomSubscribeInterceptor.roomId("/topic/other")).isNull();
    }

    private List<Long> ids() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (Message<?> message : sent) {
            ids.add(json.readValue((byte[]) message.getPayload(), MessageView.class).id());
        }
        return ids;
    }

    private static MessageView message(long room, long id) {
        return new MessageView(id, room, 1, "m" + id, Instant.EPOCH);
    }
}
