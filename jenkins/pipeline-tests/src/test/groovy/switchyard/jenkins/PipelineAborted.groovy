package switchyard.jenkins

/**
 * What an interrupted step throws, like Jenkins' {@code FlowInterruptedException}: a {@code timeout}
 * that expired, an {@code input} someone rejected. The declarative runner marks the stage and the
 * build ABORTED (not FAILURE), skips the remaining stages and runs the {@code aborted} post conditions.
 */
class PipelineAborted extends RuntimeException {
    PipelineAborted(String message) {
        super(message)
    }
}
