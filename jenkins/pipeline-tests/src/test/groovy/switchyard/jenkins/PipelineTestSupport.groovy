package switchyard.jenkins

import com.lesfurets.jenkins.unit.BasePipelineTest
import org.junit.jupiter.api.BeforeEach

/**
 * Base for pipeline tests: JenkinsPipelineUnit's scripted runtime plus {@link DeclarativePipeline}.
 * A test drives the job like Jenkins does (branch, change request, credentials), stubs every
 * {@code sh}, runs a pipeline script and asserts on {@link #pipeline}.
 */
abstract class PipelineTestSupport extends BasePipelineTest {

    /** The repository root (holds the Jenkinsfile); set by the Maven build, else found from here. */
    static final File REPO_ROOT = findRepoRoot()

    DeclarativePipeline pipeline

    @BeforeEach
    void setUpPipelineRuntime() {
        File testPipelines = new File(PipelineTestSupport.getResource('/pipelines').toURI())
        scriptRoots = [REPO_ROOT.path, testPipelines.path] as String[]
        scriptExtension = ''
        super.setUp()
        // Start from a clean slate: only the steps DeclarativePipeline registers exist, so a step the
        // Jenkinsfile uses without the test knowing about it fails (MissingMethodException).
        helper.allowedMethodCallbacks.clear()
        pipeline = new DeclarativePipeline(binding)
        pipeline.registerOn(helper)
        binding.setVariable('env', [JOB_NAME: 'switchyard', BUILD_NUMBER: '42'])
        binding.setVariable('params', [:])
        binding.setVariable('currentBuild', [result: null, currentResult: 'SUCCESS', number: 42])
        binding.setVariable('scm', [branches: [[name: 'origin/main']]])
    }

    ShMock getSh() {
        pipeline.sh
    }

    CredentialStore getCredentials() {
        pipeline.credentials
    }

    /** A multibranch build of branch {@code name}: Jenkins sets BRANCH_NAME. */
    void onBranch(String name) {
        env.BRANCH_NAME = name
    }

    /** A multibranch build of pull request {@code number} targeting {@code target}. */
    void onPullRequest(int number, String target) {
        env.BRANCH_NAME = "PR-${number}".toString()
        env.CHANGE_ID = "${number}".toString()
        env.CHANGE_TARGET = target
        env.CHANGE_BRANCH = 'feature/chat-typing'
    }

    Map<String, Object> getEnv() {
        (Map<String, Object>) binding.getVariable('env')
    }

    /**
     * Validates a pipeline script as Jenkins does before it starts (a structural error throws
     * {@link PipelineValidationError} and nothing runs), then loads and runs it. Found by file name in
     * the repository root first, then among the test pipelines.
     */
    void runPipeline(String scriptName) {
        File file = scriptRoots.collect { new File(it, scriptName) }.find { it.isFile() }
        assert file != null: "no pipeline script ${scriptName} in ${scriptRoots}"
        DeclarativeValidator.validate(file.text, scriptName)
        runScript(loadScript(scriptName))
    }

    private static File findRepoRoot() {
        String configured = System.getProperty('switchyard.repo.root')
        if (configured) {
            return new File(configured).canonicalFile
        }
        File dir = new File('.').canonicalFile
        while (dir != null && !new File(dir, 'Jenkinsfile').isFile()) {
            dir = dir.parentFile
        }
        assert dir != null: 'no Jenkinsfile found above the working directory; set -Dswitchyard.repo.root'
        dir
    }
}
