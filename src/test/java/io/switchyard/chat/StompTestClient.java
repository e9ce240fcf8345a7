package io.switchyard.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Type;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.springframework.messaging.converter.MappingJackson2MessageConverter;
import org.springframework.messaging.simp.stomp.StompCommand;
import org.springframework.messaging.simp.stomp.StompFrameHandler;
import org.springframework.messaging.simp.stomp.StompHeaders;
import org.springframework.messaging.simp.stomp.StompSession;
import org.springframework.messaging.simp.stomp.StompSessionHandlerAdapter;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.web.socket.WebSocketHttpHeaders;
import org.springframework.web.socket.client.standard.StandardWebSocketClient;
import org.springframework.web.socket.messaging.WebSocketStompClient;

/** A STOMP client as a front end would use it: Spring's WebSocketStompClient over a real socket. */
public final class StompTestClient implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(10);
    private static final ThreadPoolTaskScheduler SCHEDULER = scheduler();

    private final StompSession session;
    private final Handler handler;

    private StompTestClient(StompSession session, Handler handler) {
        this.session = session;
        this.handler = handler;
    }

    /** CONNECT with {@code Authorization: Bearer <token>}. */
    public static StompTestClient connect(int port, String token) throws Exception {
        StompHeaders headers = new StompHeaders();
        if (token != null) {
            headers.add("Authorization", "Bearer " + token);
        }
        return connect(URI.create("ws://127.0.0.1:" + port + "/ws"), headers);
    }

    /** The token only as {@code ?access_token=} on the handshake URL (no longer accepted); the ERROR's headers. */
    static StompHeaders connectRefusedWithQueryToken(int port, String token) throws Exception {
        Handler handler = new Handler();
        client().connectAsync(URI.create("ws://127.0.0.1:" + port + "/ws?access_token=" + token),
                new WebSocketHttpHeaders(), new StompHeaders(), handler);
        return handler.error.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Connects expecting the server to refuse; returns the ERROR frame's headers. */
    static StompHeaders connectRefused(int port, String token) throws Exception {
        Handler handler = new Handler();
        StompHeaders headers = new StompHeaders();
        if (token != null) {
            headers.add("Authorization", "Bearer " + token);
        }
        client().connectAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocketHttpHeaders(), headers,
                handler);
        return handler.error.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static StompTestClient connect(URI uri, StompHeaders headers) throws Exception {
        Handler handler = new Handler();
        StompSession session = client().connectAsync(uri, new WebSocketHttpHeaders(), headers, handler)
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        session.setAutoReceipt(true);
        return new StompTestClient(session, handler);
    }

    private static WebSocketStompClient client() {
        WebSocketStompClient stomp = new WebSocketStompClient(new StandardWebSocketClient());
        var converter = new MappingJackson2MessageConverter();
        converter.setObjectMapper(new ObjectMapper().findAndRegisterModules());
        stomp.setMessageConverter(converter);
        stomp.setTaskScheduler(SCHEDULER);
        stomp.setInboundMessageSizeLimit(64 * 1024);
        return stomp;
    }

    /**
     * Subscribes to a room and waits for the server's receipt, which comes after any replay; {@code lastId} null:
     * live only.
     */
    public RoomFeed subscribe(long roomId, Long lastId) throws Exception {
        RoomFeed feed = subscribeNoWait(roomId, lastId);
        feed.ready.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return feed;
    }

    /** Subscribes and returns the headers of the server's receipt (replay-truncated, replay-first-id). */
    StompHeaders subscribeForReceipt(long roomId, Long lastId, RoomFeed feed) throws Exception {
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/topic/rooms/" + roomId);
        if (lastId != null) {
            headers.add("last-id", Long.toString(lastId));
        }
        CompletableFuture<StompHeaders> receipt = new CompletableFuture<>();
        session.subscribe(headers, feed).addReceiptTask(receipt::complete);
        return receipt.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    RoomFeed subscribeNoWait(long roomId, Long lastId) {
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/topic/rooms/" + roomId);
        if (lastId != null) {
            headers.add("last-id", Long.toString(lastId));
        }
        RoomFeed feed = new RoomFeed();
        StompSession.Subscription subscription = session.subscribe(headers, feed);
        subscription.addReceiptTask(() -> feed.ready.complete(null));
        return feed;
    }

    void subscribeRaw(String destination) {
        session.subscribe(destination, new RoomFeed());
    }

    /** Subscribes with a callback per message (benchmark), waiting for the receipt. */
    void subscribeListener(long roomId, java.util.function.Consumer<MessageView> listener) throws Exception {
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/topic/rooms/" + roomId);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        session.subscribe(headers, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders frame) {
                return MessageView.class;
            }

            @Override
            public void handleFrame(StompHeaders frame, Object payload) {
                listener.accept((MessageView) payload);
            }
        }).addReceiptTask(() -> ready.complete(null));
        ready.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    BlockingQueue<ChatError> subscribeErrors() throws InterruptedException {
        BlockingQueue<ChatError> errors = new LinkedBlockingQueue<>();
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/user/queue/errors");
        session.subscribe(headers, new StompFrameHandler() {
            @Override
            public Type getPayloadType(StompHeaders frame) {
                return ChatError.class;
            }

            @Override
            public void handleFrame(StompHeaders frame, Object payload) {
                errors.add((ChatError) payload);
            }
        });
        Thread.sleep(100); // the in-memory broker registers it asynchronously
        return errors;
    }

    /** SEND with a receipt; completes with the stored message's id. */
    CompletableFuture<Long> send(long roomId, String text) {
        return sendRaw("/app/rooms/" + roomId, Map.of("text", text));
    }

    /** SEND with a receipt and a {@code message-key} header; completes with the id the receipt names. */
    CompletableFuture<Long> send(long roomId, String text, String messageKey) {
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/app/rooms/" + roomId);
        headers.add("message-key", messageKey);
        return send(headers, Map.of("text", text));
    }

    long sendAndWait(long roomId, String text, String messageKey) throws Exception {
        return send(roomId, text, messageKey).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    CompletableFuture<Long> sendRaw(String destination, Object payload) {
        StompHeaders headers = new StompHeaders();
        headers.setDestination(destination);
        return send(headers, payload);
    }

    private CompletableFuture<Long> send(StompHeaders headers, Object payload) {
        CompletableFuture<Long> id = new CompletableFuture<>();
        StompSession.Receiptable receiptable = session.send(headers, payload);
        receiptable.addReceiptTask(receipt -> id.complete(Long.parseLong(receipt.getFirst("message-id"))));
        receiptable.addReceiptLostTask(() -> id.completeExceptionally(new IllegalStateException("no receipt")));
        return id;
    }

    /** SEND a body that is not JSON, with the JSON content type. */
    void sendMalformed(long roomId) {
        StompHeaders headers = new StompHeaders();
        headers.setDestination("/app/rooms/" + roomId);
        headers.setContentType(org.springframework.util.MimeTypeUtils.APPLICATION_JSON);
        session.send(headers, "{not json".getBytes());
    }

    public long sendAndWait(long roomId, String text) throws Exception {
        return send(roomId, text).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The ERROR frame the server sent, if any (completes when one arrives). */
    public CompletableFuture<StompHeaders> error() {
        return handler.error;
    }

    CompletableFuture<Throwable> closed() {
        return handler.closed;
    }

    boolean isConnected() {
        return session.isConnected();
    }

    @Override
    public void close() {
        if (session.isConnected()) {
            session.disconnect();
        }
    }

    private static ThreadPoolTaskScheduler scheduler() {
        ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
        scheduler.setPoolSize(2);
        scheduler.setDaemon(true);
        scheduler.setThreadNamePrefix("stomp-test-");
        scheduler.initialize();
        return scheduler;
    }

    public static final class RoomFeed implements StompFrameHandler {

        final List<MessageView> received = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> ready = new CompletableFuture<>();

        @Override
        public Type getPayloadType(StompHeaders headers) {
            return MessageView.class;
        }

        @Override
        public void handleFrame(StompHeaders headers, Object payload) {
            received.add((MessageView) payload);
        }

        List<Long> ids() {
            return received.stream().map(MessageView::id).toList();
        }

        /** Waits until at least {@code count} messages arrived, then a little more to catch duplicates. */
        public List<Long> awaitIds(int count) throws InterruptedException {
            long until = System.nanoTime() + WAIT.toNanos();
            while (received.size() < count && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            Thread.sleep(200);
            return ids();
        }

        long lastId() {
            return received.isEmpty() ? 0 : received.get(received.size() - 1).id();
        }
    }

    private static final class Handler extends StompSessionHandlerAdapter {

        final CompletableFuture<StompHeaders> error = new CompletableFuture<>();
        final CompletableFuture<Throwable> closed = new CompletableFuture<>();

        @Override
        public Type getPayloadType(StompHeaders headers) {
            return Map.class;
        }

        @Override
        public void handleFrame(StompHeaders headers, Object payload) {
            error.complete(headers);
        }

        @Override
        public void handleException(StompSession session, StompCommand command, StompHeaders headers,
                byte[] payload, Throwable exception) {
            if (command == StompCommand.ERROR) {
                error.complete(headers);
            }
        }

        @Override
        public void handleTransportError(StompSession session, Throwable exception) {
            closed.complete(exception);
            error.completeExceptionally(exception);
        }
    }
}
