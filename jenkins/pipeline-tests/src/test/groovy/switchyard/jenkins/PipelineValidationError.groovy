package switchyard.jenkins

/**
 * Jenkins refused to start the pipeline: its declarative structure is invalid (what Jenkins reports
 * as "WorkflowScript: ... startup failed" before any stage runs). An {@link AssertionError}, so it
 * fails the test unless the test expects it.
 */
class PipelineValidationError extends AssertionError {
    final List<String> errors

    PipelineValidationError(List<String> errors) {
        super((Object) ("startup failed:\n" + errors.join('\n') + "\n\n${errors.size()} error(s)"))
        this.errors = errors
    }
}
