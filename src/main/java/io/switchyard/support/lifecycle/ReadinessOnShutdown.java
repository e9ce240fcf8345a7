package io.switchyard.support.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.stereotype.Component;

/**
 * First thing on shutdown (SIGTERM closes the context): report REFUSING_TRAFFIC, before the web server's
 * graceful shutdown starts draining in-flight requests, so anything still probing readiness stops routing here.
 */
@Component
class ReadinessOnShutdown implements ApplicationListener<ContextClosedEvent> {

    private static final Logger log = LoggerFactory.getLogger(ReadinessOnShutdown.class);

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        ApplicationContext context = event.getApplicationContext();
        if (context.getParent() != null) {
            return;
        }
        log.info("shutting down: readiness -> REFUSING_TRAFFIC, draining in-flight requests");
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
    }
}
