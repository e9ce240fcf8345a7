package io.switchyard.chat;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.switchyard.room.NewestMessages;
import jakarta.annotation.PostConstruct;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * Messages in MongoDB, with ids that run 1, 2, 3... per room without holes.
 *
 * <p>An id is taken by the insert itself: a message is inserted under the room's newest id + 1, and the unique
 * (room, id) index refuses it if another instance took that id first; it then tries the next one. So id N exists
 * only once N - 1 exists: whoever sees N can read every id below it from here. A resend with a used
 * {@code message-key} is refused by the unique send-key index and takes no id.
 *
 * <p>One head document per room ({@link #HEADS}) holds the newest id and that message, for the main page and as
 * the starting point of the next insert. It also keeps {@code seq}, the id counter of the releases before
 * contiguous ids, at or above every stored id, so such a release running beside this one during a switch keeps
 * drawing ids that are free.
 */
@Component
public class MessageStore implements NewestMessages {

    static final String HEADS = "chat_room_sequences";
    private static final Logger log = LoggerFactory.getLogger(MessageStore.class);
    /** Collisions walked one id at a time before asking the messages themselves for the newest id. */
    private static final int WALK_LIMIT = 16;
    private static final int MAX_ATTEMPTS = 200;

    private final MongoTemplate mongo;
    private final Clock clock;

    MessageStore(MongoTemplate mongo, Clock clock) {
        this.mongo = mongo;
        this.clock = clock;
    }

    /**
     * At startup, before the first message: the (room, id) index every read here uses, unique because it hands out
     * the ids, and the unique index on the send key; sparse, so messages sent without a key are not in it.
     */
    @PostConstruct
    void createIndexes() {
        mongo.indexOps(ChatMessage.class).createIndex(new Index()
                .on("roomId", Sort.Direction.ASC)
                .on("seq", Sort.Direction.ASC)
                .unique()
                .named("room_seq"));
        mongo.indexOps(ChatMessage.class).createIndex(new Index()
                .on(ChatMessage.SEND_KEY_FIELD, Sort.Direction.ASC)
                .unique()
                .sparse()
                .named("send_key"));
    }

    /**
     * Stores a message under the next id of its room. With a {@code messageKey} (null: none) that this sender
     * already used in this room, nothing is stored: the answer is the message stored the first time.
     */
    Appended append(long roomId, long senderId, String text, String messageKey) {
        String sendKey = messageKey == null ? null : ChatMessage.sendKey(roomId, senderId, messageKey);
        if (sendKey != null) {
            ChatMessage first = bySendKey(sendKey);
            if (first != null) {
                return new Appended(first.view(), false);
            }
        }
        long candidate = newestId(roomId) + 1;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ChatMessage message = ChatMessage.of(roomId, candidate, senderId, text, clock.instant(), messageKey);
            try {
                mongo.insert(message);
                recordHead(message.view());
                return new Appended(message.view(), true);
            } catch (DuplicateKeyException taken) {
                if (sendKey != null) {
                    ChatMessage first = bySendKey(sendKey);
                    if (first != null) {
                        return new Appended(first.view(), false); // a racing resend of the same message won
                    }
                }
                // the id exists: so may the next; past a few, the head is stale and the messages know better
                candidate = attempt % WALK_LIMIT == 0 ? newestStoredId(roomId) + 1 : candidate + 1;
            }
        }
        throw new IllegalStateException("no free message id in room " + roomId + " after " + MAX_ATTEMPTS
                + " attempts");
    }

    /**
     * @param message the stored message
     * @param created true when this call stored it; false for a resend of a message stored before (already
     *                published by the call that stored it)
     */
    record Appended(MessageView message, boolean created) {
    }

    /** The newest id of the room (0: none yet), from its head, else from the messages. */
    @Override
    public long newestId(long roomId) {
        Document head = mongo.findById(roomId, Document.class, HEADS);
        if (head != null && head.get("head") instanceof Number newest) {
            return newest.longValue();
        }
        return newestStoredId(roomId);
    }

    /**
     * The heads of several rooms in one query: newest id and message. Rooms whose head predates this release
     * (messages but no head yet) get it computed once from their messages and written back.
     */
    public Map<Long, RoomHead> heads(Collection<Long> roomIds) {
        Map<Long, RoomHead> heads = new HashMap<>();
        if (roomIds.isEmpty()) {
            return heads;
        }
        for (Document doc : mongo.find(query(where("_id").in(roomIds)), Document.class, HEADS)) {
            long roomId = ((Number) doc.get("_id")).longValue();
            Object newest = doc.get("head");
            Document last = doc.get("last", Document.class);
            if (newest instanceof Number id && last != null) {
                heads.put(roomId, new RoomHead(id.longValue(), viewOf(roomId, id.longValue(), last)));
            } else {
                latest(roomId).ifPresent(message -> {
                    recordHead(message);
                    heads.put(roomId, new RoomHead(message.id(), message));
                });
            }
        }
        return heads;
    }

    /** The newest ids of several rooms, from their heads, in one query; rooms without a head are left out. */
    Map<Long, Long> newestIds(Collection<Long> roomIds) {
        Query heads = query(where("_id").in(roomIds));
        heads.fields().include("head");
        Map<Long, Long> newest = new HashMap<>();
        for (Document doc : mongo.find(heads, Document.class, HEADS)) {
            if (doc.get("head") instanceof Number id) {
                newest.put(((Number) doc.get("_id")).longValue(), id.longValue());
            }
        }
        return newest;
    }

    /** @param last the newest message of the room */
    public record RoomHead(long newestId, MessageView last) {
    }

    /**
     * Moves the room's head to this message unless a newer one is there already (heads of racing instances may
     * arrive in any order), and keeps the previous releases' counter at or above it. Best effort: a head left
     * behind only costs the next insert a collision, and the main page shows an older message until the next one.
     */
    private void recordHead(MessageView message) {
        Query olderHead = query(where("_id").is(message.roomId())
                .orOperator(where("head").lt(message.id()), where("head").exists(false)));
        Update update = new Update()
                .set("head", message.id())
                .set("last", new Document("senderId", message.senderId()).append("text", message.text())
                        .append("createdAt", java.util.Date.from(message.createdAt())))
                .max("seq", message.id());
        try {
            mongo.upsert(olderHead, update, HEADS);
        } catch (DuplicateKeyException newerHeadExists) {
            // another instance recorded a newer message first (and raised the counter with it)
        } catch (DataAccessException e) {
            log.warn("could not record the head of room {} at message {}: {}", message.roomId(), message.id(),
                    e.getMessage());
        }
    }

    private static MessageView viewOf(long roomId, long id, Document last) {
        return new MessageView(id, roomId, ((Number) last.get("senderId")).longValue(), last.getString("text"),
                last.getDate("createdAt").toInstant());
    }

    private long newestStoredId(long roomId) {
        return latest(roomId).map(MessageView::id).orElse(0L);
    }

    private ChatMessage bySendKey(String sendKey) {
        return mongo.findOne(query(where(ChatMessage.SEND_KEY_FIELD).is(sendKey)), ChatMessage.class);
    }

    /** Messages with id greater than {@code afterId}, oldest first. */
    List<MessageView> after(long roomId, long afterId, int limit) {
        Query query = query(where("roomId").is(roomId).and("seq").gt(afterId))
                .with(Sort.by(Sort.Direction.ASC, "seq"))
                .limit(limit);
        return mongo.find(query, ChatMessage.class).stream().map(ChatMessage::view).toList();
    }

    /** A page by cursor: after {@code after} (oldest first) or before {@code before} (the newest such), or both. */
    MessagePage page(long roomId, Long before, Long after, int limit) {
        Criteria criteria = where("roomId").is(roomId);
        if (before != null && after != null) {
            criteria = criteria.and("seq").gt(after).lt(before);
        } else if (before != null) {
            criteria = criteria.and("seq").lt(before);
        } else if (after != null) {
            criteria = criteria.and("seq").gt(after);
        }
        boolean forward = after != null;
        Query query = query(criteria)
                .with(Sort.by(forward ? Sort.Direction.ASC : Sort.Direction.DESC, "seq"))
                .limit(limit + 1);
        List<MessageView> found = new ArrayList<>(
                mongo.find(query, ChatMessage.class).stream().map(ChatMessage::view).toList());
        boolean hasMore = found.size() > limit;
        if (hasMore) {
            found.remove(found.size() - 1);
        }
        Long nextCursor = hasMore ? found.get(found.size() - 1).id() : null;
        if (!forward) {
            Collections.reverse(found);
        }
        return new MessagePage(List.copyOf(found), hasMore, nextCursor);
    }

    Optional<MessageView> latest(long roomId) {
        Query query = query(where("roomId").is(roomId)).with(Sort.by(Sort.Direction.DESC, "seq")).limit(1);
        return Optional.ofNullable(mongo.findOne(query, ChatMessage.class)).map(ChatMessage::view);
    }
}
