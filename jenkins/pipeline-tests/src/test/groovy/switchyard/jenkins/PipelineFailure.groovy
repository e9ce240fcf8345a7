package switchyard.jenkins

/**
 * What a failing step throws, like Jenkins' {@code hudson.AbortException}: a non-zero {@code sh},
 * {@code error(...)}, a missing credential. The declarative runner catches it, marks the stage and
 * the build FAILURE and skips the remaining stages, exactly as Jenkins does.
 */
class PipelineFailure extends RuntimeException {
    PipelineFailure(String message) {
        super(message)
    }
}
