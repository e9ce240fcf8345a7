package io.switchyard.support.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchyard.testsupport.RunningApp;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import switchyardtest.ProbeController;

/** SIGTERM closes the context: readiness refuses traffic first, then in-flight requests finish (bounded). */
class GracefulShutdownIT {

    @Test
    void inFlightRequestFinishesAndReadinessRefusesTrafficFirst() throws Exception {
        RunningApp app = RunningApp.start(List.of(ProbeController.class), "spring.lifecycle.timeout-per-shutdown-phase=20s");
        ApplicationAvailability availability = app.context().getBean(ApplicationAvailability.class);
        assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.ACCEPTING_TRAFFIC);

        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> call(app, "/probe/slow?millis=3000"));
        Thread.sleep(700); // the request is now in flight
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(app::close);
        Thread.sleep(300);

        assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
        HttpResponse<String> response = slow.get(20, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("finished");
        shutdown.get(20, TimeUnit.SECONDS);
    }

    @Test
    void shutdownIsBoundedByTheConfiguredTimeout() throws Exception {
        RunningApp app = RunningApp.start(List.of(ProbeController.class), "spring.lifecycle.timeout-per-shutdown-phase=1s");
        CompletableFuture.runAsync(() -> call(app, "/probe/slow?millis=15000"));
        Thread.sleep(700);

        long started = System.nanoTime();
        app.close();
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).as("a stuck request must not hold the shutdown").isLessThan(Duration.ofSeconds(8));
    }

    private static HttpResponse<String> call(RunningApp app, String path) {
        try {
            return app.get(path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
