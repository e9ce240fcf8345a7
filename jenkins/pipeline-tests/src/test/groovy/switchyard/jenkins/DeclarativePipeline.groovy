package switchyard.jenkins

import com.lesfurets.jenkins.unit.PipelineTestHelper
import groovy.json.JsonSlurper
import org.apache.tools.ant.types.selectors.SelectorUtils

/**
 * Declarative Pipeline for JenkinsPipelineUnit 1.1, which only knows scripted pipelines.
 *
 * Before anything runs, {@link DeclarativeValidator} checks the script's structure on its syntax tree
 * as Jenkins does (misplaced steps and unknown directives are refused, named). Then
 * {@code pipeline { ... }}, registered as a step, reads the sections (each section closure runs
 * against a small block object below) and runs them with Jenkins' semantics:
 * <ul>
 *   <li>results: SUCCESS &lt; UNSTABLE &lt; FAILURE &lt; NOT_BUILT &lt; ABORTED; a build's result only gets
 *       worse. A failing step ({@link PipelineFailure}) fails its stage and the build; an interrupted one
 *       ({@link PipelineAborted}: an expired {@code timeout}, a rejected {@code input}) aborts them;
 *       {@code unstable} and {@code junit} with failures make them UNSTABLE;</li>
 *   <li>after a failure or an abort every later stage is skipped; after UNSTABLE too when the pipeline
 *       has {@code skipStagesAfterUnstable()};</li>
 *   <li>time: steps take the minutes a test gives them ({@link ShMock.Stub#minutes}, {@link InputMock});
 *       {@code timeout} (step, and option of the pipeline or a stage) interrupts whatever runs past
 *       its deadline;</li>
 *   <li>{@code environment} is evaluated in order; {@code credentials('id')} binds from the test's
 *       {@link CredentialStore}; a stage's environment and {@code STAGE_NAME} are scoped to it;</li>
 *   <li>{@code when}: {@code branch} with Jenkins' glob (Ant's {@code SelectorUtils.matchPath}, case
 *       insensitive), {@code changeRequest}, {@code environment}, {@code equals}, {@code expression},
 *       {@code not}, {@code allOf}, {@code anyOf};</li>
 *   <li>{@code post} conditions of a stage and of the pipeline run in Jenkins' order, when they apply.</li>
 * </ul>
 */
class DeclarativePipeline {

    /** Jenkins' order of post conditions (BuildCondition). */
    static final List<String> POST_CONDITIONS = ['always', 'changed', 'fixed', 'regression', 'aborted', 'failure',
                                                 'success', 'unstable', 'notBuilt', 'unsuccessful', 'cleanup']
    static final List<String> RESULTS = ['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']

    final Binding binding
    final ShMock sh = new ShMock()
    final CredentialStore credentials = new CredentialStore()
    final InputMock input = new InputMock()

    /** Labels of the agent a label expression is given (NODE_LABELS); default: the label alone. */
    final Map<String, String> nodeLabels = [:]
    /** The result of the previous build of the job (for changed, fixed, regression); null = first build. */
    String previousResult
    /** junit finds failed tests in the reports (the junit plugin then marks the build UNSTABLE). */
    boolean junitFindsFailures

    // What the run did, for the tests to assert on.
    String agentLabel
    final Map<String, Object> pipelineOptions = [:]
    final List<StageRun> stages = []
    final List<String> postBlocksRun = []
    final List<String> echoes = []
    final List<String> errors = []
    final List<Map> archived = []
    final List<Map> junitReports = []
    final List<String> credentialIdsUsed = []
    final List<Map> writtenFiles = []
    final List<String> timeoutsExpired = []
    boolean checkedOut
    String result
    double clockMinutes = 0

    private final List<Deadline> deadlines = []
    private StageRun currentStage

    DeclarativePipeline(Binding binding) {
        this.binding = binding
    }

    Map<String, Object> getEnv() {
        (Map<String, Object>) binding.getVariable('env')
    }

    /** Registers {@code pipeline} and the steps the Jenkinsfile uses, replacing the library's defaults. */
    void registerOn(PipelineTestHelper helper) {
        helper.registerAllowedMethod('pipeline', [Closure], { Closure body -> run(body) })

        helper.registerAllowedMethod('sh', [String], { String script -> sh.run(script, env, this.&elapse) })
        helper.registerAllowedMethod('sh', [Map], { Map args -> sh.run(args, env, this.&elapse) })
        helper.registerAllowedMethod('echo', [String], { String message -> echoes << message })
        helper.registerAllowedMethod('error', [String], { String message ->
            errors << message
            throw new PipelineFailure(message)
        })
        helper.registerAllowedMethod('unstable', [String], { String message -> markUnstable(message) })
        helper.registerAllowedMethod('unstable', [Map], { Map args -> markUnstable((String) args.message) })
        helper.registerAllowedMethod('script', [Closure], { Closure body -> body.call() })
        helper.registerAllowedMethod('checkout', [Map], { Map scm -> checkedOut = true })
        helper.registerAllowedMethod('timeout', [Map, Closure], { Map args, Closure body -> withTimeout(args, body) })
        helper.registerAllowedMethod('sleep', [Map], { Map args -> elapse(toMinutes(args.time, (String) (args.unit ?: 'SECONDS')), 'sleep') })
        helper.registerAllowedMethod('input', [Map], { Map args -> input.ask(args, this.&elapse) })
        helper.registerAllowedMethod('junit', [Map], { Map args -> junit(args) })
        helper.registerAllowedMethod('junit', [String], { String pattern -> junit([testResults: pattern]) })
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map args -> archived << args })
        helper.registerAllowedMethod('archiveArtifacts', [String], { String pattern -> archived << [artifacts: pattern] })
        helper.registerAllowedMethod('writeFile', [Map], { Map args -> writtenFiles << args })
        helper.registerAllowedMethod('readJSON', [Map], { Map args -> new JsonSlurper().parseText((String) args.text) })
        helper.registerAllowedMethod('withEnv', [List, Closure], { List<String> vars, Closure body -> withEnv(vars, body) })

        helper.registerAllowedMethod('withCredentials', [List, Closure], { List bindings, Closure body ->
            withCredentials(bindings, body)
        })
        helper.registerAllowedMethod('string', [Map], { Map args ->
            [type: 'string', id: args.credentialsId, variable: args.variable]
        })
        helper.registerAllowedMethod('usernamePassword', [Map], { Map args ->
            [type: 'usernamePassword', id: args.credentialsId,
             usernameVariable: args.usernameVariable, passwordVariable: args.passwordVariable]
        })
        helper.registerAllowedMethod('sshUserPrivateKey', [Map], { Map args ->
            [type: 'sshUserPrivateKey', id: args.credentialsId, keyFileVariable: args.keyFileVariable,
             usernameVariable: args.usernameVariable]
        })
    }

    StageRun stage(String name) {
        StageRun run = stages.find { it.name == name }
        assert run != null: "no stage '${name}' in ${stages*.name}"
        run
    }

    // ---------------------------------------------------------------- run

    void run(Closure body) {
        PipelineBlock declared = new PipelineBlock(this)
        declare(body, declared)
        assert declared.agentBlock != null: 'pipeline needs an agent section'
        assert declared.stageBlocks != null: 'pipeline needs a stages section'

        pipelineOptions.putAll(declared.optionsBlock?.declared ?: [:])
        setResult('SUCCESS')
        enterAgent(declared.agentBlock)

        Throwable firstError = null
        Closure stagesAndPost = {
            if (declared.environmentBody != null) {
                try {
                    applyEnvironment(declared.environmentBody)
                } catch (Exception failure) {
                    rethrowTestErrors(failure)
                    firstError = failure
                    fail(failure)
                }
            }
            declared.stageBlocks.each { StageBlock stage ->
                if (runStage(stage, firstError != null) && firstError == null) {
                    firstError = new PipelineFailure("stage ${stage.name}")
                }
            }
            runPost(declared.postBlock, 'pipeline', null)
        }
        Map pipelineTimeout = (Map) pipelineOptions.timeout
        try {
            if (pipelineTimeout != null) {
                withTimeout(pipelineTimeout, stagesAndPost)
            } else {
                stagesAndPost.call()
            }
        } catch (PipelineAborted aborted) {
            // The whole build's timeout: Jenkins interrupts it wherever it is.
            fail(aborted)
        }
    }

    /** Runs one stage; returns true when it failed or was aborted. */
    private boolean runStage(StageBlock stage, boolean earlierError) {
        StageRun run = new StageRun(stage.name, stage.optionsBlock?.declared ?: [:])
        stages << run
        if (earlierError) {
            run.status = StageRun.SKIPPED_FAILURE
            return false
        }
        if (result == 'UNSTABLE' && pipelineOptions.containsKey('skipStagesAfterUnstable')) {
            run.status = StageRun.SKIPPED_UNSTABLE
            return false
        }
        Map<String, Object> envBefore = new LinkedHashMap<>(env)
        List<String> scoped = ['STAGE_NAME']
        env.STAGE_NAME = stage.name
        try {
            if (stage.environmentBody != null) {
                scoped.addAll(applyEnvironment(stage.environmentBody))
            }
            if (stage.whenBlock != null && !stage.whenBlock.isSatisfied()) {
                run.status = StageRun.SKIPPED_CONDITIONAL
                return false
            }
            assert stage.stepsBody != null: "stage '${stage.name}' has no steps"
            currentStage = run
            run.status = 'SUCCESS'
            Closure body = {
                try {
                    stage.stepsBody.call()
                } catch (Exception failure) {
                    rethrowTestErrors(failure)
                    run.status = failure instanceof PipelineAborted ? 'ABORTED' : 'FAILURE'
                    run.failure = failure.message
                    fail(failure)
                }
                runPost(stage.postBlock, stage.name, run)
            }
            Map stageTimeout = (Map) run.options.timeout
            if (stageTimeout != null) {
                withTimeout(stageTimeout, body)
            } else {
                body.call()
            }
            return run.status in ['FAILURE', 'ABORTED']
        } finally {
            currentStage = null
            scoped.each { String name ->
                if (envBefore.containsKey(name)) {
                    env[name] = envBefore[name]
                } else {
                    env.remove(name)
                }
            }
        }
    }

    /**
     * Runs the post conditions that apply, in Jenkins' order: for a stage, judged by the stage's status
     * (which a failing or unstable post step changes as it goes); for the pipeline, by the build's result.
     */
    private void runPost(PostBlock post, String owner, StageRun stage) {
        if (post == null) {
            return
        }
        POST_CONDITIONS.each { String condition ->
            Closure body = post.conditions[condition]
            if (body == null || !appliesTo(condition, stage != null ? stage.status : result)) {
                return
            }
            postBlocksRun << "${owner}:${condition}".toString()
            try {
                body.call()
            } catch (Exception failure) {
                rethrowTestErrors(failure)
                if (stage != null) {
                    stage.status = worse(stage.status, failure instanceof PipelineAborted ? 'ABORTED' : 'FAILURE')
                }
                fail(failure)
            }
        }
    }

    private boolean appliesTo(String condition, String status) {
        switch (condition) {
            case 'always':
            case 'cleanup':
                return true
            case 'changed':
                return previousResult != null && previousResult != result
            case 'fixed':
                return status == 'SUCCESS' && previousResult in ['FAILURE', 'UNSTABLE']
            case 'regression':
                return status in ['FAILURE', 'UNSTABLE', 'ABORTED'] && previousResult == 'SUCCESS'
            case 'aborted':
                return status == 'ABORTED'
            case 'failure':
                return status == 'FAILURE'
            case 'success':
                return status == 'SUCCESS'
            case 'unstable':
                return status == 'UNSTABLE'
            case 'notBuilt':
                return status == 'NOT_BUILT'
            case 'unsuccessful':
                return status != 'SUCCESS'
            default:
                throw new IllegalArgumentException(condition)
        }
    }

    private void enterAgent(AgentBlock agent) {
        agentLabel = agent.label
        if (agent.label != null) {
            env.NODE_NAME = "agent-${agent.label}".toString()
            env.NODE_LABELS = nodeLabels[agent.label] ?: agent.label
        }
    }

    /** Evaluates an environment directive now, in order; returns the names it set. */
    private List<String> applyEnvironment(Closure body) {
        EnvironmentBlock block = new EnvironmentBlock(this)
        declare(body, block)
        block.assigned
    }

    /**
     * Any exception a step throws fails the build, as in Jenkins (a step's error, readJSON of bad text,
     * a null dereference in a script block), except a call to a step or a property the test runtime does
     * not know: that is a mistake of the test or of the pipeline and fails the test.
     */
    private static void rethrowTestErrors(Exception failure) {
        if (failure instanceof MissingMethodException || failure instanceof MissingPropertyException) {
            throw failure
        }
    }

    private void fail(Exception failure) {
        setResult(failure instanceof PipelineAborted ? 'ABORTED' : 'FAILURE')
        echoes << "ERROR: ${failure.message}".toString()
    }

    private void markUnstable(String message) {
        echoes << "WARNING: ${message}".toString()
        setResult('UNSTABLE')
        if (currentStage != null) {
            currentStage.status = worse(currentStage.status, 'UNSTABLE')
        }
    }

    private void junit(Map args) {
        junitReports << args
        if (junitFindsFailures) {
            markUnstable("test failures in ${args.testResults}")
        }
    }

    static String worse(String a, String b) {
        RESULTS.indexOf(a) >= RESULTS.indexOf(b) ? a : b
    }

    /** A build's result only gets worse, as hudson.model.Run#setResult. */
    private void setResult(String newResult) {
        result = result == null ? newResult : worse(result, newResult)
        Map currentBuild = (Map) binding.getVariable('currentBuild')
        currentBuild.result = result
        currentBuild.currentResult = result
    }

    // ---------------------------------------------------------------- time

    static class Deadline {
        double at
        String what
        boolean fired
    }

    static double toMinutes(Object time, String unit) {
        double t = ((Number) time).doubleValue()
        switch (unit) {
            case 'SECONDS':
                return t / 60
            case 'MINUTES':
                return t
            case 'HOURS':
                return t * 60
            case 'DAYS':
                return t * 60 * 24
            default:
                throw new IllegalArgumentException("timeout unit ${unit}")
        }
    }

    private Object withTimeout(Map args, Closure body) {
        assert args.time instanceof Number && args.time > 0: "timeout needs a positive time: ${args}"
        Deadline deadline = new Deadline(at: clockMinutes + toMinutes(args.time, (String) (args.unit ?: 'MINUTES')),
                what: "timeout(${args.time} ${args.unit ?: 'MINUTES'})")
        deadlines << deadline
        try {
            return body.call()
        } finally {
            deadlines.remove(deadline)
        }
    }

    /**
     * A step takes {@code minutes} (infinite: it never ends by itself). When that crosses the nearest
     * timeout, the clock stops there and the step is interrupted, as Jenkins' timeout does: once (what
     * runs after the interruption, e.g. post conditions, runs).
     */
    void elapse(double minutes, String what) {
        double target = clockMinutes + minutes
        Deadline nearest = deadlines.findAll { !it.fired }.min { it.at }
        if (nearest != null && nearest.at <= target) {
            clockMinutes = nearest.at
            nearest.fired = true
            timeoutsExpired << "${nearest.what} during ${what}".toString()
            throw new PipelineAborted('Timeout has been exceeded')
        }
        assert !Double.isInfinite(target): "'${what}' waits forever and no timeout bounds it"
        clockMinutes = target
    }

    // ---------------------------------------------------------------- environments

    private Object withEnv(List<String> vars, Closure body) {
        Map<String, String> values = vars.collectEntries { String kv ->
            int eq = kv.indexOf('=')
            assert eq > 0: "withEnv entry '${kv}' is not NAME=value"
            [(kv.substring(0, eq)): kv.substring(eq + 1)]
        }
        scoped(values, body)
    }

    private Object withCredentials(List bindings, Closure body) {
        Map<String, String> values = [:]
        bindings.each { Map binding ->
            credentialIdsUsed << (String) binding.id
            switch (binding.type) {
                case 'string':
                    values[(String) binding.variable] = credentials.lookup((String) binding.id, 'string').secret
                    break
                case 'usernamePassword':
                    Map<String, String> credential = credentials.lookup((String) binding.id, 'usernamePassword')
                    values[(String) binding.usernameVariable] = credential.username
                    values[(String) binding.passwordVariable] = credential.password
                    break
                case 'sshUserPrivateKey':
                    Map<String, String> key = credentials.lookup((String) binding.id, 'sshUserPrivateKey')
                    // Jenkins writes the key to a temporary file and binds its path.
                    values[(String) binding.keyFileVariable] = "/agent/workspace@tmp/secretFiles/${binding.id}/key".toString()
                    if (binding.usernameVariable) {
                        values[(String) binding.usernameVariable] = key.username
                    }
                    break
                default:
                    throw new IllegalArgumentException("unsupported credentials binding ${binding}")
            }
        }
        scoped(values, body)
    }

    private Object scoped(Map<String, String> values, Closure body) {
        Map<String, Object> saved = new LinkedHashMap<>(env)
        env.putAll(values)
        try {
            return body.call()
        } finally {
            values.keySet().each { String name ->
                if (saved.containsKey(name)) {
                    env[name] = saved[name]
                } else {
                    env.remove(name)
                }
            }
        }
    }

    static void declare(Closure body, Object block) {
        Closure section = (Closure) body.clone()
        section.resolveStrategy = Closure.DELEGATE_FIRST
        section.delegate = block
        section.call()
    }

    /** Jenkins' {@code branch} pattern: an Ant-style glob, '/' separated, case insensitive (its Comparator.GLOB). */
    static boolean globMatches(String pattern, String value) {
        if (!pattern && !value) {
            return true
        }
        if (!pattern || !value) {
            return false
        }
        SelectorUtils.matchPath(pattern, value, false)
    }

    // ---------------------------------------------------------------- the sections

    static class StageRun {
        static final String SKIPPED_CONDITIONAL = 'SKIPPED (when)'
        static final String SKIPPED_FAILURE = 'SKIPPED (earlier failure)'
        static final String SKIPPED_UNSTABLE = 'SKIPPED (unstable)'

        final String name
        final Map<String, Object> options
        String status
        String failure

        StageRun(String name, Map<String, Object> options) {
            this.name = name
            this.options = options
        }

        String toString() {
            "${name}: ${status}"
        }
    }

    /** Each block class answers only its own directives; DeclarativeValidator has already refused the rest. */
    static class PipelineBlock {
        private final DeclarativePipeline runtime
        AgentBlock agentBlock
        OptionsBlock optionsBlock
        Closure environmentBody
        List<StageBlock> stageBlocks
        PostBlock postBlock

        PipelineBlock(DeclarativePipeline runtime) {
            this.runtime = runtime
        }

        void agent(Closure body) {
            agentBlock = new AgentBlock()
            declare(body, agentBlock)
        }

        void agent(AgentBlock.Kind kind) {
            agentBlock = new AgentBlock(kind: kind)
        }

        AgentBlock.Kind getAny() {
            AgentBlock.Kind.ANY
        }

        AgentBlock.Kind getNone() {
            AgentBlock.Kind.NONE
        }

        void options(Closure body) {
            optionsBlock = new OptionsBlock()
            declare(body, optionsBlock)
        }

        void environment(Closure body) {
            environmentBody = body
        }

        void stages(Closure body) {
            StagesBlock block = new StagesBlock(runtime)
            declare(body, block)
            stageBlocks = block.declared
        }

        void post(Closure body) {
            postBlock = new PostBlock()
            declare(body, postBlock)
        }
    }

    static class AgentBlock {
        enum Kind { ANY, NONE, LABEL }

        Kind kind = Kind.LABEL
        String label

        void label(String label) {
            this.label = label
        }
    }

    static class OptionsBlock {
        final Map<String, Object> declared = [:]

        void disableConcurrentBuilds(Map args = [:]) {
            declared.disableConcurrentBuilds = args
        }

        void buildDiscarder(Object strategy) {
            declared.buildDiscarder = strategy
        }

        Map logRotator(Map args) {
            [logRotator: args]
        }

        void timeout(Map args) {
            assert args.time instanceof Number && args.time > 0: "timeout needs a positive time: ${args}"
            declared.timeout = args
        }

        void skipDefaultCheckout(boolean skip = true) {
            declared.skipDefaultCheckout = skip
        }

        void skipStagesAfterUnstable() {
            declared.skipStagesAfterUnstable = true
        }

        void timestamps() {
            declared.timestamps = true
        }
    }

    static class StagesBlock {
        private final DeclarativePipeline runtime
        final List<StageBlock> declared = []

        StagesBlock(DeclarativePipeline runtime) {
            this.runtime = runtime
        }

        void stage(String name, Closure body) {
            StageBlock stage = new StageBlock(name, runtime)
            declare(body, stage)
            declared << stage
        }
    }

    static class StageBlock {
        private final DeclarativePipeline runtime
        final String name
        WhenBlock whenBlock
        OptionsBlock optionsBlock
        Closure environmentBody
        Closure stepsBody
        PostBlock postBlock

        StageBlock(String name, DeclarativePipeline runtime) {
            this.name = name
            this.runtime = runtime
        }

        void when(Closure body) {
            whenBlock = new WhenBlock(runtime)
            declare(body, whenBlock)
        }

        void options(Closure body) {
            optionsBlock = new OptionsBlock()
            declare(body, optionsBlock)
        }

        void environment(Closure body) {
            environmentBody = body
        }

        void steps(Closure body) {
            stepsBody = body
        }

        void post(Closure body) {
            postBlock = new PostBlock()
            declare(body, postBlock)
        }
    }

    /** {@code when}: every condition listed directly must hold (an implicit allOf). */
    static class WhenBlock {
        private final DeclarativePipeline runtime
        final List<Closure> conditions = []

        WhenBlock(DeclarativePipeline runtime) {
            this.runtime = runtime
        }

        boolean isSatisfied() {
            conditions.every { Closure condition -> condition.call() }
        }

        void branch(String pattern) {
            conditions << { -> globMatches(pattern, (String) runtime.env.BRANCH_NAME) }
        }

        void changeRequest(Map args = [:]) {
            conditions << { -> runtime.env.CHANGE_ID != null && (!args.target || globMatches((String) args.target, (String) runtime.env.CHANGE_TARGET)) }
        }

        void environment(Map args) {
            conditions << { -> String.valueOf(runtime.env[(String) args.name]) == String.valueOf(args.value) }
        }

        void equals(Map args) {
            conditions << { -> args.expected == args.actual }
        }

        void expression(Closure body) {
            conditions << { -> body.call() as boolean }
        }

        void anyOf(Closure body) {
            WhenBlock nested = nested(body)
            conditions << { -> nested.conditions.any { Closure condition -> condition.call() } }
        }

        void allOf(Closure body) {
            WhenBlock nested = nested(body)
            conditions << { -> nested.isSatisfied() }
        }

        void not(Closure body) {
            WhenBlock nested = nested(body)
            conditions << { -> !nested.conditions[0].call() }
        }

        void beforeAgent(boolean ignored) {
        }

        private WhenBlock nested(Closure body) {
            WhenBlock nested = new WhenBlock(runtime)
            declare(body, nested)
            nested
        }
    }

    /**
     * {@code environment}: each {@code NAME = value} sets env.NAME at once (so later entries can
     * read earlier ones); {@code credentials('id')} binds secret text, or for a username/password
     * credential NAME=user:password plus NAME_USR and NAME_PSW, as Jenkins does.
     */
    static class EnvironmentBlock {
        private final DeclarativePipeline runtime
        final List<String> assigned = []

        EnvironmentBlock(DeclarativePipeline runtime) {
            this.runtime = runtime
        }

        Object credentials(String id) {
            runtime.credentialIdsUsed << id
            Map<String, String> secretText = null
            try {
                secretText = runtime.credentials.lookup(id, 'string')
            } catch (PipelineFailure wrongTypeOrMissing) {
                Map<String, String> userPass = runtime.credentials.lookup(id, 'usernamePassword')
                return new UsernamePasswordValue(userPass.username, userPass.password)
            }
            secretText.secret
        }

        @Override
        void setProperty(String name, Object value) {
            if (value instanceof UsernamePasswordValue) {
                runtime.env[name] = "${value.username}:${value.password}".toString()
                runtime.env["${name}_USR".toString()] = value.username
                runtime.env["${name}_PSW".toString()] = value.password
                assigned.addAll([name, "${name}_USR".toString(), "${name}_PSW".toString()])
            } else {
                runtime.env[name] = value == null ? null : value.toString()
                assigned << name
            }
        }
    }

    static class UsernamePasswordValue {
        final String username
        final String password

        UsernamePasswordValue(String username, String password) {
            this.username = username
            this.password = password
        }
    }

    /** Explicit methods, no methodMissing: any other call in a condition's body must reach the script. */
    static class PostBlock {
        final Map<String, Closure> conditions = [:]

        void always(Closure body) { conditions.always = body }

        void changed(Closure body) { conditions.changed = body }

        void fixed(Closure body) { conditions.fixed = body }

        void regression(Closure body) { conditions.regression = body }

        void aborted(Closure body) { conditions.aborted = body }

        void failure(Closure body) { conditions.failure = body }

        void success(Closure body) { conditions.success = body }

        void unstable(Closure body) { conditions.unstable = body }

        void notBuilt(Closure body) { conditions.notBuilt = body }

        void unsuccessful(Closure body) { conditions.unsuccessful = body }

        void cleanup(Closure body) { conditions.cleanup = body }
    }
}
