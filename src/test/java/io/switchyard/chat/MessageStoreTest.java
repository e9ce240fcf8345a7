package io.switchyard.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.mongodb.core.MongoTemplate;

/** Ids without holes, against the in-process MongoDB wire-protocol server (no Spring context). */
class MessageStoreTest {

    private final MongoServer server = new MongoServer(new MemoryBackend());
    private final MongoClient client;
    private final MongoTemplate mongo;
    private final MessageStore store;

    MessageStoreTest() {
        server.bind("127.0.0.1", 0);
        client = MongoClients.create("mongodb://127.0.0.1:" + server.getLocalAddress().getPort());
        mongo = new MongoTemplate(client, "test");
        store = new MessageStore(mongo, Clock.systemUTC());
        store.createIndexes();
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Test
    void concurrentSendersGetOneTwoThreeWithoutHolesAndResendsTakeNoId() throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<MessageStore.Appended>> appends = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                String key = i % 4 == 0 ? "key-" + (i / 8) : null; // some keys sent twice, racing
                int n = i;
                long sender = key == null ? n % 3 : 7;
                appends.add(CompletableFuture.supplyAsync(() -> store.append(1, sender, "m" + n, key), senders));
            }
            List<Long> created = new ArrayList<>();
            for (var append : appends) {
                MessageStore.Appended appended = append.get(30, TimeUnit.SECONDS);
                if (appended.created()) {
                    created.add(appended.message().id());
                }
            }
            assertThat(created).hasSize(70).doesNotHaveDuplicates();
            assertThat(store.after(1, 0, 1000)).extracting(MessageView::id)
                    .containsExactlyElementsOf(ChatClusterIT.range(1, 70));
            assertThat(store.newestId(1)).isEqualTo(70);
            assertThat(store.newestIds(List.of(1L, 2L))).containsExactlyEntriesOf(java.util.Map.of(1L, 70L));
            Document head = mongo.findById(1L, Document.class, MessageStore.HEADS);
            assertThat(((Number) head.get("seq")).longValue()).as("the old counter follows").isEqualTo(70);
        } finally {
            senders.shutdownNow();
        }
    }

    @Test
    void aRoomOfAnEarlierReleaseGetsItsHeadOnceAndGoesOnAfterItsNewestId() {
        mongo.insert(new Document("_id", "5:1").append("roomId", 5L).append("seq", 1L).append("senderId", 9L)
                .append("text", "old one").append("createdAt", new Date()), "chat_messages");
        mongo.insert(new Document("_id", "5:3").append("roomId", 5L).append("seq", 3L).append("senderId", 9L)
                .append("text", "old three").append("createdAt", new Date()), "chat_messages");
        mongo.insert(new Document("_id", 5L).append("seq", 4L), MessageStore.HEADS); // id 4 drawn, never stored

        var heads = store.heads(List.of(5L, 6L));
        assertThat(heads).containsOnlyKeys(5L);
        assertThat(heads.get(5L).newestId()).isEqualTo(3);
        assertThat(heads.get(5L).last().text()).isEqualTo("old three");

        MessageView next = store.append(5, 1, "new", null).message();
        assertThat(next.id()).isEqualTo(4);
        assertThat(store.heads(List.of(5L)).get(5L).last().text()).isEqualTo("new");
        Document head = mongo.findById(5L, Document.class, MessageStore.HEADS);
        assertThat(((Number) head.get("seq")).longValue()).isEqualTo(4);
    }

    @Test
    void aHeadLeftBehindCostsOnlyCollisions() {
        for (int i = 0; i < 40; i++) {
            store.append(8, 1, "m" + i, null);
        }
        mongo.getCollection(MessageStore.HEADS).updateOne(new Document("_id", 8L),
                new Document("$set", new Document("head", 3L))); // as if instances died after their inserts
        assertThat(store.append(8, 1, "after", null).message().id()).isEqualTo(41);
        assertThat(store.newestId(8)).isEqualTo(41);
    }
}
