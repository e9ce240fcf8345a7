package io.switchyard.support.logging;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/** Publishes the dropped-log-events counter to Micrometer. */
@Component
class DroppedLogEventsMetrics implements MeterBinder {

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("logstash.events.dropped", DroppedLogEvents::count)
                .description("Log events dropped because the Logstash queue was full")
                .register(registry);
    }
}
