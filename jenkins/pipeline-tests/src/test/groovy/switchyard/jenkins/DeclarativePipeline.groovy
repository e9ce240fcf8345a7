package switchyard.jenkins

import com.lesfurets.jenkins.unit.PipelineTestHelper
import groovy.json.JsonSlurper

/**
 * Declarative Pipeline for JenkinsPipelineUnit 1.1, which only knows scripted pipelines.
 *
 * {@code pipeline { ... }} is registered as a step. Its body is read in two passes, like Jenkins:
 * first the sections are collected (each section closure runs against a small block object below,
 * delegate-first, so keywords used in the wrong place fail with MissingMethodException), then the
 * run executes them with real semantics:
 * <ul>
 *   <li>{@code environment} is evaluated in order at run time; {@code credentials('id')} binds the
 *       secret from the test's {@link CredentialStore}.</li>
 *   <li>stages run in order; a stage whose {@code when} is false is skipped; a failing step
 *       ({@link PipelineFailure}) fails the stage and the build, and every later stage is skipped.</li>
 *   <li>{@code post} conditions (stage and pipeline level) run in Jenkins' order and only when they
 *       apply: always, success, failure, unsuccessful, cleanup.</li>
 * </ul>
 * Steps inside {@code steps}/{@code post} are ordinary calls resolved on the script, i.e. on the
 * steps registered in {@link #registerOn}.
 */
class DeclarativePipeline {

    static final List<String> POST_CONDITIONS = ['always', 'success', 'failure', 'unsuccessful', 'cleanup']

    final Binding binding
    final ShMock sh = new ShMock()
    final CredentialStore credentials = new CredentialStore()

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
    boolean checkedOut
    String result

    DeclarativePipeline(Binding binding) {
        this.binding = binding
    }

    Map<String, Object> getEnv() {
        (Map<String, Object>) binding.getVariable('env')
    }

    /** Registers {@code pipeline} and the steps the Jenkinsfile uses, replacing the library's defaults. */
    void registerOn(PipelineTestHelper helper) {
        helper.registerAllowedMethod('pipeline', [Closure], { Closure body -> run(body) })

        helper.registerAllowedMethod('sh', [String], { String script -> sh.run(script, env) })
        helper.registerAllowedMethod('sh', [Map], { Map args -> sh.run(args, env) })
        helper.registerAllowedMethod('echo', [String], { String message -> echoes << message })
        helper.registerAllowedMethod('error', [String], { String message ->
            errors << message
            throw new PipelineFailure(message)
        })
        helper.registerAllowedMethod('script', [Closure], { Closure body -> body.call() })
        helper.registerAllowedMethod('checkout', [Map], { Map scm -> checkedOut = true })
        helper.registerAllowedMethod('timeout', [Map, Closure], { Map args, Closure body -> body.call() })
        helper.registerAllowedMethod('junit', [Map], { Map args -> junitReports << args })
        helper.registerAllowedMethod('junit', [String], { String pattern -> junitReports << [testResults: pattern] })
        helper.registerAllowedMethod('archiveArtifacts', [Map], { Map args -> archived << args })
        helper.registerAllowedMethod('archiveArtifacts', [String], { String pattern -> archived << [artifacts: pattern] })
        helper.registerAllowedMethod('writeFile', [Map], { Map args -> writtenFiles << args })
        helper.registerAllowedMethod('readJSON', [Map], { Map args -> new JsonSlurper().parseText((String) args.text) })

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

        agentLabel = declared.agentBlock.label
        pipelineOptions.putAll(declared.optionsBlock?.declared ?: [:])
        setResult('SUCCESS')

        if (declared.environmentBody != null) {
            try {
                applyEnvironment(declared.environmentBody)
            } catch (PipelineFailure failure) {
                fail(failure)
            }
        }
        declared.stageBlocks.each { StageBlock stage -> runStage(stage) }
        runPost(declared.postBlock, 'pipeline', result)
    }

    private void runStage(StageBlock stage) {
        StageRun run = new StageRun(stage.name, stage.optionsBlock?.declared ?: [:])
        stages << run
        if (result != 'SUCCESS') {
            run.status = StageRun.SKIPPED_FAILURE
            return
        }
        if (stage.whenBlock != null && !stage.whenBlock.isSatisfied()) {
            run.status = StageRun.SKIPPED_CONDITIONAL
            return
        }
        assert stage.stepsBody != null: "stage '${stage.name}' has no steps"

        Map<String, Object> envBefore = new LinkedHashMap<>(env)
        List<String> stageEnvNames = []
        run.status = 'SUCCESS'
        try {
            if (stage.environmentBody != null) {
                stageEnvNames = applyEnvironment(stage.environmentBody)
            }
            stage.stepsBody.call()
        } catch (PipelineFailure failure) {
            run.status = 'FAILURE'
            run.failure = failure.message
            fail(failure)
        }
        run.status = runPost(stage.postBlock, stage.name, run.status)
        // A stage's environment directive is scoped to the stage; env.X = ... in a script block is not.
        stageEnvNames.each { String name ->
            if (envBefore.containsKey(name)) {
                env[name] = envBefore[name]
            } else {
                env.remove(name)
            }
        }
    }

    /** Runs the post conditions that apply to {@code status}, in Jenkins' order; returns the new status. */
    private String runPost(PostBlock post, String owner, String status) {
        if (post == null) {
            return status
        }
        String current = status
        POST_CONDITIONS.each { String condition ->
            Closure body = post.conditions[condition]
            if (body == null || !appliesTo(condition, current)) {
                return
            }
            postBlocksRun << "${owner}:${condition}".toString()
            try {
                body.call()
            } catch (PipelineFailure failure) {
                current = 'FAILURE'
                fail(failure)
            }
        }
        current
    }

    private static boolean appliesTo(String condition, String status) {
        switch (condition) {
            case 'always':
            case 'cleanup':
                return true
            case 'success':
                return status == 'SUCCESS'
            case 'failure':
                return status == 'FAILURE'
            case 'unsuccessful':
                return status != 'SUCCESS'
            default:
                throw new IllegalArgumentException(condition)
        }
    }

    /** Evaluates an environment directive now, in order; returns the names it set. */
    private List<String> applyEnvironment(Closure body) {
        EnvironmentBlock block = new EnvironmentBlock(this)
        declare(body, block)
        block.assigned
    }

    private void fail(PipelineFailure failure) {
        setResult('FAILURE')
        echoes << "ERROR: ${failure.message}".toString()
    }

    private void setResult(String newResult) {
        result = newResult
        Map currentBuild = (Map) binding.getVariable('currentBuild')
        currentBuild.result = newResult
        currentBuild.currentResult = newResult
    }

    private Object withCredentials(List bindings, Closure body) {
        Map<String, String> values = [:]
        bindings.each { Map binding ->
            credentialIdsUsed << (String) binding.id
            if (binding.type == 'string') {
                values[(String) binding.variable] = credentials.lookup((String) binding.id, 'string').secret
            } else if (binding.type == 'usernamePassword') {
                Map<String, String> credential = credentials.lookup((String) binding.id, 'usernamePassword')
                values[(String) binding.usernameVariable] = credential.username
                values[(String) binding.passwordVariable] = credential.password
            } else {
                throw new IllegalArgumentException("unsupported credentials binding ${binding}")
            }
        }
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

    static boolean globMatches(String pattern, String value) {
        if (value == null) {
            return false
        }
        String regex = pattern.collect { String c ->
            c == '*' ? '.*' : c == '?' ? '.' : java.util.regex.Pattern.quote(c)
        }.join('')
        value ==~ regex
    }

    // ---------------------------------------------------------------- the sections

    static class StageRun {
        static final String SKIPPED_CONDITIONAL = 'SKIPPED (when)'
        static final String SKIPPED_FAILURE = 'SKIPPED (earlier failure)'

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
            assert agentBlock == null: 'duplicate agent section'
            agentBlock = new AgentBlock()
            declare(body, agentBlock)
        }

        void options(Closure body) {
            assert optionsBlock == null: 'duplicate options section'
            optionsBlock = new OptionsBlock()
            declare(body, optionsBlock)
        }

        void environment(Closure body) {
            assert environmentBody == null: 'duplicate environment section'
            environmentBody = body
        }

        void stages(Closure body) {
            assert stageBlocks == null: 'duplicate stages section'
            StagesBlock block = new StagesBlock(runtime)
            declare(body, block)
            assert !block.declared.isEmpty(): 'stages section without a stage'
            stageBlocks = block.declared
        }

        void post(Closure body) {
            assert postBlock == null: 'duplicate post section'
            postBlock = new PostBlock()
            declare(body, postBlock)
        }
    }

    static class AgentBlock {
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
            assert !declared.any { it.name == name }: "duplicate stage '${name}'"
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

        void changeRequest() {
            conditions << { -> runtime.env.CHANGE_ID != null }
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
            assert nested.conditions.size() == 1: 'not takes exactly one condition'
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

    static class PostBlock {
        final Map<String, Closure> conditions = [:]

        void always(Closure body) {
            conditions.always = body
        }

        void success(Closure body) {
            conditions.success = body
        }

        void failure(Closure body) {
            conditions.failure = body
        }

        void unsuccessful(Closure body) {
            conditions.unsuccessful = body
        }

        void cleanup(Closure body) {
            conditions.cleanup = body
        }
    }
}
