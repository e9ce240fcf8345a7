package io.switchyard.support.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.util.concurrent.atomic.AtomicLong;
import net.logstash.logback.appender.listener.AppenderListener;

/**
 * Counts log events the Logstash appender dropped because its bounded queue was full (Logstash down or slow):
 * requests never wait on log shipping, and the loss stays visible as the {@code logstash.events.dropped} metric.
 * Logback instantiates this class from logback-spring.xml, hence the static counter.
 */
public class DroppedLogEvents implements AppenderListener<ILoggingEvent> {

    private static final AtomicLong DROPPED = new AtomicLong();

    public static long count() {
        return DROPPED.get();
    }

    @Override
    public void eventAppendFailed(Appender<ILoggingEvent> appender, ILoggingEvent event, Throwable reason) {
        DROPPED.incrementAndGet();
    }
}
