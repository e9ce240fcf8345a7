package switchyard.jenkins

/**
 * Thrown when the pipeline runs a step the test did not expect (an unstubbed {@code sh}).
 * It is an {@link AssertionError}, not an exception, so the declarative runner never mistakes it
 * for an ordinary build failure: it escapes the pipeline and fails the test.
 */
class UnexpectedStepCall extends AssertionError {
    UnexpectedStepCall(String message) {
        super((Object) message)
    }
}
