package switchyard.jenkins

/**
 * The {@code sh} step, mocked strictly. Every command the pipeline may run is stubbed, in order,
 * with its exit code and stdout; each stub answers exactly one call. A command with no stub left
 * fails the test. Every call is recorded with the environment it saw, so tests can assert both the
 * exact command line and what reached the process through the environment.
 */
class ShMock {

    static class Stub {
        final String script
        final int exitCode
        final String stdout
        /** How long the command runs (minutes of the pipeline's clock, for timeouts). */
        double minutes

        Stub(String script, int exitCode, String stdout) {
            this.script = script
            this.exitCode = exitCode
            this.stdout = stdout
        }
    }

    static class Call {
        final String script
        final Map<String, Object> options
        final Map<String, Object> env

        Call(String script, Map<String, Object> options, Map<String, Object> env) {
            this.script = script
            this.options = options
            this.env = env
        }

        String toString() {
            script
        }
    }

    private final List<Stub> pending = []
    final List<Call> calls = []

    /** The command succeeds (exit 0) with the given stdout. */
    ShMock ok(String script, String stdout = '') {
        stub(script, 0, stdout)
    }

    /** The command exits with {@code exitCode}. */
    ShMock exits(String script, int exitCode, String stdout = '') {
        stub(script, exitCode, stdout)
    }

    ShMock stub(String script, int exitCode, String stdout) {
        pending << new Stub(script, exitCode, stdout)
        this
    }

    /** The command stubbed last runs this many minutes (Double.POSITIVE_INFINITY: it hangs). */
    ShMock takes(double minutes) {
        assert !pending.isEmpty(): 'takes() follows a stub'
        pending[-1].minutes = minutes
        this
    }

    List<String> getScripts() {
        calls*.script
    }

    List<String> getUnusedStubs() {
        pending*.script
    }

    /**
     * Runs one {@code sh} call with Jenkins' semantics: plain calls fail the build on a non-zero
     * exit, {@code returnStdout} returns stdout (and still fails on non-zero), {@code returnStatus}
     * returns the exit code and never fails. The command takes its stub's minutes on the pipeline's
     * clock ({@code elapse}): a timeout that expires meanwhile interrupts it, whatever the options.
     */
    Object run(Object argument, Map<String, Object> env, Closure elapse) {
        Map<String, Object> options = argument instanceof Map ? new LinkedHashMap<>((Map) argument) : [script: argument]
        String script = String.valueOf(options.script)
        calls << new Call(script, options, new LinkedHashMap<String, Object>(env))

        Stub stub = pending.find { it.script == script }
        if (stub == null) {
            throw new UnexpectedStepCall("unexpected sh call: '${script}'\n  calls so far: ${scripts}\n  stubs left: ${unusedStubs}")
        }
        pending.remove(stub)
        elapse.call(stub.minutes, "sh '${script}'".toString())

        if (options.returnStatus) {
            return stub.exitCode
        }
        if (stub.exitCode != 0) {
            throw new PipelineFailure("script returned exit code ${stub.exitCode}")
        }
        return options.returnStdout ? stub.stdout : null
    }
}
