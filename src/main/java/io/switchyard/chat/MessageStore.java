package io.switchyard.chat;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import jakarta.annotation.PostConstruct;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.bson.Document;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.MongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Component;

/**
 * Messages in MongoDB. Ids come from one counter document per room, incremented atomically with findAndModify,
 * so every instance (blue and green at once, or N replicas) draws from the same increasing sequence.
 *
 * <p>A message sent with a {@code message-key} carries it in a field with a unique sparse index: its insert is the
 * one atomic step that decides whether it is new, on whichever instance, however many resends race. A resend of a
 * stored message finds the first one instead; the id it drew stays unused (ids are increasing, not contiguous).
 */
@Component
public class MessageStore {

    static final String SEQUENCES = "chat_room_sequences";

    private final MongoTemplate mongo;
    private final Clock clock;

    MessageStore(MongoTemplate mongo, Clock clock) {
        this.mongo = mongo;
        this.clock = clock;
    }

    /**
     * At startup, before the first message: the (room, id) index every read here uses, unique as a safety net, and
     * the unique index on the send key; sparse, so messages sent without a key (no such field) are not in it.
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
        long seq = nextSeq(roomId);
        ChatMessage message = ChatMessage.of(roomId, seq, senderId, text, clock.instant(), messageKey);
        try {
            mongo.insert(message);
            return new Appended(message.view(), true);
        } catch (DuplicateKeyException duplicate) {
            if (message.sendKey() == null) {
                throw duplicate;
            }
            ChatMessage first = mongo.findOne(query(where(ChatMessage.SEND_KEY_FIELD).is(message.sendKey())),
                    ChatMessage.class);
            if (first == null) {
                throw duplicate; // not the send key that collided
            }
            return new Appended(first.view(), false);
        }
    }

    /**
     * @param message the stored message
     * @param created true when this call stored it; false for a resend of a message stored before (already
     *                published by the call that stored it)
     */
    record Appended(MessageView message, boolean created) {
    }

    private long nextSeq(long roomId) {
        Query counter = query(where("_id").is(roomId));
        Update increment = new Update().inc("seq", 1L);
        FindAndModifyOptions options = FindAndModifyOptions.options().returnNew(true).upsert(true);
        Document next;
        try {
            next = mongo.findAndModify(counter, increment, options, Document.class, SEQUENCES);
        } catch (DuplicateKeyException firstMessageRace) {
            // two instances created the room's counter at the same moment; the document exists now
            next = mongo.findAndModify(counter, increment, options, Document.class, SEQUENCES);
        }
        return ((Number) next.get("seq")).longValue();
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
        if (!forward) {
            Collections.reverse(found);
        }
        return new MessagePage(List.copyOf(found), hasMore);
    }

    public Optional<MessageView> latest(long roomId) {
        Query query = query(where("roomId").is(roomId)).with(Sort.by(Sort.Direction.DESC, "seq")).limit(1);
        return Optional.ofNullable(mongo.findOne(query, ChatMessage.class)).map(ChatMessage::view);
    }

    /** Messages after the read marker that someone else wrote. */
    public long countUnread(long roomId, long lastReadId, long readerId) {
        Query query = query(where("roomId").is(roomId).and("seq").gt(lastReadId).and("senderId").ne(readerId));
        return mongo.count(query, ChatMessage.class);
    }
}
