package io.switchyard.chat;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

/**
 * The chat's own threads, sized: MongoDB reads for resumes and gap fills run on a small bounded pool, never on the
 * inbound channel (which would stall every other frame of the session, and after a switch every session at once);
 * a scheduler runs heart-beats, the catch-up sweep, gap retries and session expiry.
 */
@Configuration(proxyBeanMethods = false)
class ChatExecutorsConfig {

    @Bean
    ThreadPoolTaskExecutor chatReplayExecutor(ChatProperties properties) {
        var executor = new ThreadPoolTaskExecutor();
        executor.setCorePoolSize(properties.replayThreads());
        executor.setMaxPoolSize(properties.replayThreads());
        executor.setQueueCapacity(properties.replayQueue());
        executor.setThreadNamePrefix("chat-replay-");
        executor.setWaitForTasksToCompleteOnShutdown(false);
        return executor;
    }

    @Bean
    ThreadPoolTaskScheduler chatScheduler() {
        var scheduler = new ThreadPoolTaskScheduler();
        scheduler.setPoolSize(2);
        scheduler.setThreadNamePrefix("chat-scheduler-");
        scheduler.setRemoveOnCancelPolicy(true);
        return scheduler;
    }
}
