package switchyard.jenkins

/**
 * The {@code input} step: who answers, how, and after how long. Each answer serves one {@code input}
 * call, in order; an input with no answer left waits forever (so only a timeout ends it). An approver
 * must be one of the step's {@code submitter}s when it names any, as Jenkins lets only them answer.
 */
class InputMock {

    static class Answer {
        final boolean approve
        final String by
        final double afterMinutes

        Answer(boolean approve, String by, double afterMinutes) {
            this.approve = approve
            this.by = by
            this.afterMinutes = afterMinutes
        }
    }

    private final List<Answer> answers = []
    /** The arguments of every input step the pipeline ran. */
    final List<Map> asked = []

    InputMock approve(String by, double afterMinutes = 1) {
        answers << new Answer(true, by, afterMinutes)
        this
    }

    InputMock reject(String by, double afterMinutes = 1) {
        answers << new Answer(false, by, afterMinutes)
        this
    }

    /** Returns what Jenkins' input returns without parameters: the submitterParameter's value (the approver), else null. */
    Object ask(Map args, Closure elapse) {
        asked << args
        assert args.message: 'input needs a message'
        if (answers.isEmpty()) {
            elapse.call(Double.POSITIVE_INFINITY, "input '${args.message}'".toString())
        }
        Answer answer = answers.remove(0)
        if (args.submitter) {
            List<String> allowed = ((String) args.submitter).tokenize(',')*.trim()
            assert answer.by in allowed: "${answer.by} may not answer this input (submitter: ${args.submitter})"
        }
        elapse.call(answer.afterMinutes, "input '${args.message}'".toString())
        if (!answer.approve) {
            throw new PipelineAborted("Rejected by ${answer.by}")
        }
        args.submitterParameter ? answer.by : null
    }
}
