package io.switchyard.testsupport;

import io.switchyard.SwitchyardApplication;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole application started the way production starts it (command-line settings, real HTTP port), for tests
 * that stop stores under it or shut it down mid-request.
 */
public final class RunningApp implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private RunningApp(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** @param settings {@code name=value} pairs, passed as {@code --name=value} arguments */
    public static RunningApp start(List<Class<?>> extraSources, String... settings) {
        List<String> args = new ArrayList<>();
        args.add("--server.port=0");
        for (String setting : settings) {
            args.add("--" + setting);
        }
        var sources = new ArrayList<Class<?>>();
        sources.add(SwitchyardApplication.class);
        sources.addAll(extraSources);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
                .run(args.toArray(String[]::new));
        return new RunningApp(context);
    }

    public static RunningApp start(String... settings) {
        return start(List.of(), settings);
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    public int port() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Polls readiness until it answers the expected HTTP status or the deadline passes. */
    public boolean awaitReadinessStatus(int expectedStatus, Duration deadline) throws InterruptedException {
        long until = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < until) {
            try {
                if (get("/actuator/health/readiness").statusCode() == expectedStatus) {
                    return true;
                }
            } catch (IOException notAnswering) {
                // keep polling until the deadline
            }
            Thread.sleep(200);
        }
        return false;
    }

    @Override
    public void close() {
        if (context.isActive()) {
            context.close();
        }
    }
}
