package switchyard.jenkins

import groovy.json.JsonOutput
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

import static switchyard.jenkins.DeclarativePipeline.StageRun.SKIPPED_CONDITIONAL
import static switchyard.jenkins.DeclarativePipeline.StageRun.SKIPPED_FAILURE

/**
 * The repository's Jenkinsfile, per branch and per failure path. Every sh call is stubbed and the
 * exact list of calls is asserted; an sh the test did not stub fails the test.
 */
class JenkinsfileTest extends PipelineTestSupport {

    static final String COMMIT = 'abc1234'
    static final String VERSION = '1.0.0'
    static final String TAG = "${VERSION}-${COMMIT}"
    static final String IMAGE = "switchyard:${TAG}"

    static final String GIT_SHORT = 'git rev-parse --short=7 HEAD'
    static final String MVN_VERSION = './mvnw -B -q org.apache.maven.plugins:maven-help-plugin:3.5.1:evaluate -Dexpression=project.version -DforceStdout'
    static final String MVN_VERIFY = './mvnw -B verify'
    static final String BUILD_IMAGE = "scripts/build-image.sh ${TAG}"

    static final Map<String, String> SECRETS = [
            KAKAO_CLIENT_SECRET: 'kakao-Secret-9f8e7d',
            JWT_SECRET         : 'jwt-Secret-0123456789abcdef0123456789abcdef',
            MYSQL_PASSWORD     : 'mysql-Secret-p4ss',
            MONGODB_URI        : 'mongodb://switchyard:mongo-Secret-p4ss@127.0.0.1:27017/switchyard',
    ]

    @BeforeEach
    void jenkinsWithCredentials() {
        ['dev', 'prod'].each { String env ->
            // Distinct values per environment, so a dev build that read prod secrets would show.
            credentials.secretText("switchyard-${env}-kakao-client-secret", "${SECRETS.KAKAO_CLIENT_SECRET}-${env}")
                    .secretText("switchyard-${env}-jwt-secret", "${SECRETS.JWT_SECRET}-${env}")
                    .usernamePassword("switchyard-${env}-mysql", 'switchyard', "${SECRETS.MYSQL_PASSWORD}-${env}")
                    .secretText("switchyard-${env}-mongodb-uri", "${SECRETS.MONGODB_URI}-${env}")
        }
    }

    @AfterEach
    void secretsNeverLeak() {
        // Whatever the scenario: no secret on any command line, in any message or in any written file.
        List<String> secretValues = credentials.secretValues
        List<String> visibleText = sh.scripts + pipeline.echoes + pipeline.errors +
                pipeline.writtenFiles.collect { "${it.text}".toString() }
        secretValues.each { String secret ->
            visibleText.each { String text -> assert !text.contains(secret) }
        }
        // Secrets are bound only around scripts/write-env-file.sh, never for any other process.
        sh.calls.findAll { !it.script.startsWith('scripts/write-env-file.sh') }.each { ShMock.Call call ->
            assert call.env.keySet().intersect(SECRETS.keySet() + ['MYSQL_USERNAME']).isEmpty():
                    "secrets in the environment of '${call.script}'"
        }
        // Thin pipeline: every command is the Maven wrapper, a repository script, or git.
        sh.scripts.each { String script ->
            assert script ==~ /(\.\/mvnw|scripts\/|jenkins\/|git ).*/: "not a wrapper/script call: ${script}"
        }
    }

    // ------------------------------------------------------------------ stubs

    private void stubCheckoutTestAndBuild() {
        sh.ok(GIT_SHORT, "${COMMIT}\n")
          .ok(MVN_VERSION, VERSION)
          .ok(MVN_VERIFY)
          .ok(BUILD_IMAGE, "Step 1/12 : FROM eclipse-temurin\nbuilt\n${IMAGE}\n")
    }

    static final String OLD_IMAGE = 'switchyard:0.9.0-1111111'

    /** `scripts/status.sh --json` output, in its real shape; the live color runs {@code liveImage}. */
    private static String status(String env, String liveColor, String liveImage = IMAGE, String liveHealth = 'up') {
        Map colors = ['blue', 'green'].collectEntries { String color ->
            boolean live = color == liveColor
            [(color): [color  : color, port: color == 'blue' ? 8081 : 8082, container: live ? '0123456789ab' : '',
                       state  : live ? 'running' : 'absent', image: live ? liveImage : '',
                       version: live ? liveImage.tokenize(':')[-1] : '', health: live ? liveHealth : 'down']]
        }
        JsonOutput.toJson([env        : env, live_color: liveColor,
                           nginx      : [running: true, routes_to: liveColor, upstream_file: "/etc/nginx/switchyard/${env}-upstream.conf"],
                           colors     : colors, lock: [held: false, holder: ''],
                           last_deploys: []])
    }

    private void stubDeploy(String env, String colorBefore, int deployExit) {
        sh.ok("scripts/status.sh --json ${env}", status(env, colorBefore, OLD_IMAGE))
          .ok("scripts/write-env-file.sh ${env}")
          .exits("scripts/deploy.sh ${env} ${IMAGE}", deployExit)
    }

    private static List<String> deployCalls(String env) {
        ["scripts/status.sh --json ${env}", "scripts/write-env-file.sh ${env}", "scripts/deploy.sh ${env} ${IMAGE}"]
                .collect { it.toString() }
    }

    private static String verifyCall(String env) {
        "scripts/status.sh --json ${env}"
    }

    private static String historyCall(String env) {
        "jenkins/collect-deploy-history.sh ${env} target/deploy"
    }

    private static final List<String> BUILD_CALLS = [GIT_SHORT, MVN_VERSION, MVN_VERIFY, BUILD_IMAGE]
    private static final List<String> ALL_STAGES = ['Checkout', 'Test', 'Build image', 'Deploy', 'Verify']

    private Map<String, String> stageStatuses() {
        pipeline.stages.collectEntries { [(it.name): it.status] }
    }

    // ------------------------------------------------------------------ branches

    @Test
    void devBranchTestsBuildsAndDeploysToDev() {
        onBranch('dev')
        stubCheckoutTestAndBuild()
        stubDeploy('dev', 'blue', 0)
        sh.ok(verifyCall('dev'), status('dev', 'green'))
          .ok(historyCall('dev'))

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('dev') + [verifyCall('dev'), historyCall('dev')]
        assert pipeline.result == 'SUCCESS'
        assert stageStatuses() == ALL_STAGES.collectEntries { [(it): 'SUCCESS'] }
        assert pipeline.checkedOut
        assert pipeline.agentLabel == 'switchyard-dev'
        assert pipeline.credentialIdsUsed == ['switchyard-dev-kakao-client-secret', 'switchyard-dev-jwt-secret',
                                              'switchyard-dev-mysql', 'switchyard-dev-mongodb-uri']
        assert pipeline.echoes.contains("dev: ${IMAGE} is live on green".toString())
        assert pipeline.writtenFiles == [[file: 'target/deploy/dev-status.json', text: status('dev', 'green')]]
    }

    @Test
    void mainBranchTestsBuildsAndDeploysToProduction() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'green', 0)
        sh.ok(verifyCall('prod'), status('prod', 'blue'))
          .ok(historyCall('prod'))

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('prod') + [verifyCall('prod'), historyCall('prod')]
        assert pipeline.result == 'SUCCESS'
        assert stageStatuses() == ALL_STAGES.collectEntries { [(it): 'SUCCESS'] }
        assert pipeline.agentLabel == 'switchyard-prod'
        assert pipeline.credentialIdsUsed.every { it.startsWith('switchyard-prod-') }
    }

    @Test
    void firstDeployToAnEmptyEnvironmentAcceptsEitherColor() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'none', 0)
        sh.ok(verifyCall('prod'), status('prod', 'blue'))
          .ok(historyCall('prod'))
        runPipeline('Jenkinsfile')
        assert pipeline.result == 'SUCCESS'
    }

    @Test
    void featureBranchIsTestedAndBuiltButNeverDeployed() {
        onBranch('feature/chat-typing')
        stubCheckoutTestAndBuild()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS
        assert pipeline.result == 'SUCCESS'
        assert stageStatuses() == [Checkout: 'SUCCESS', Test: 'SUCCESS', 'Build image': 'SUCCESS',
                                   Deploy: SKIPPED_CONDITIONAL, Verify: SKIPPED_CONDITIONAL]
        assert pipeline.agentLabel == 'switchyard-build'
        assert pipeline.credentialIdsUsed.isEmpty()
    }

    @Test
    void pullRequestIsTestedAndBuiltButNeverDeployed() {
        onPullRequest(12, 'main')
        stubCheckoutTestAndBuild()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS
        assert pipeline.result == 'SUCCESS'
        assert pipeline.stage('Deploy').status == SKIPPED_CONDITIONAL
        assert pipeline.stage('Verify').status == SKIPPED_CONDITIONAL
        assert pipeline.agentLabel == 'switchyard-build'
        assert pipeline.credentialIdsUsed.isEmpty()
        assert env.DEPLOY_ENV == 'none'
    }

    @Test
    void aChangeRequestNeverDeploysEvenIfItsBranchNameIsMain() {
        // Defensive: BRANCH_NAME 'main' with CHANGE_ID set (e.g. a misconfigured branch source).
        onBranch('main')
        env.CHANGE_ID = '5'
        stubCheckoutTestAndBuild()
        runPipeline('Jenkinsfile')
        assert sh.scripts == BUILD_CALLS
        assert pipeline.stage('Deploy').status == SKIPPED_CONDITIONAL
        assert pipeline.agentLabel == 'switchyard-build'
    }

    @Test
    void agentLabelsAreConfigurablePerEnvironment() {
        env.SWITCHYARD_PROD_AGENT_LABEL = 'prod-host-1'
        env.SWITCHYARD_DEV_AGENT_LABEL = 'dev-host-1'
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'blue', 0)
        sh.ok(verifyCall('prod'), status('prod', 'green')).ok(historyCall('prod'))
        runPipeline('Jenkinsfile')
        assert pipeline.agentLabel == 'prod-host-1'
    }

    // ------------------------------------------------------------------ failure paths

    @Test
    void failingTestsMeanNoImageAndNoDeploy() {
        onBranch('main')
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).exits(MVN_VERIFY, 1)

        runPipeline('Jenkinsfile')

        assert sh.scripts == [GIT_SHORT, MVN_VERSION, MVN_VERIFY]
        assert pipeline.result == 'FAILURE'
        assert stageStatuses() == [Checkout: 'SUCCESS', Test: 'FAILURE', 'Build image': SKIPPED_FAILURE,
                                   Deploy: SKIPPED_FAILURE, Verify: SKIPPED_FAILURE]
        // Test reports are still published and archived.
        assert pipeline.junitReports*.testResults == ['target/surefire-reports/*.xml, target/failsafe-reports/*.xml']
        assert pipeline.archived*.artifacts.any { it.contains('target/surefire-reports/**') }
        assert pipeline.credentialIdsUsed.isEmpty()
    }

    @Test
    void deployFailingBeforeTheSwitchDoesNotRollBack() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'blue', 4)
        sh.ok(historyCall('prod'))

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('prod') + [historyCall('prod')]
        assert !sh.scripts.any { it.startsWith('scripts/rollback.sh') }
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').status == 'FAILURE'
        assert pipeline.stage('Deploy').failure.contains('failed before the switch (exit 4)')
        assert pipeline.stage('Verify').status == SKIPPED_FAILURE
    }

    @Test
    void deployFailingAfterTheSwitchRollsBack() {
        onBranch('dev')
        stubCheckoutTestAndBuild()
        stubDeploy('dev', 'blue', 5)
        sh.ok('scripts/rollback.sh dev')
          .ok(historyCall('dev'))

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('dev') + ['scripts/rollback.sh dev', historyCall('dev')]
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').failure.contains('failed after the switch (exit 5)')
        assert pipeline.postBlocksRun.contains('Deploy:failure')
        assert pipeline.stage('Verify').status == SKIPPED_FAILURE
    }

    @Test
    void aFailingRollbackStillFailsTheBuildAndStillArchivesHistory() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'blue', 5)
        sh.exits('scripts/rollback.sh prod', 1)
          .ok(historyCall('prod'))
        runPipeline('Jenkinsfile')
        assert sh.scripts[-2..-1] == ['scripts/rollback.sh prod', historyCall('prod')]
        assert pipeline.result == 'FAILURE'
        assert pipeline.archived*.artifacts.any { it.contains('target/deploy/**') }
    }

    @Test
    void lockHeldByAnotherDeployFailsWithoutRollback() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'blue', 3)
        sh.ok(historyCall('prod'))

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('prod') + [historyCall('prod')]
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').failure.contains('lock (exit 3)')
    }

    @Test
    void deployConfigurationErrorFailsWithoutRollback() {
        onBranch('dev')
        stubCheckoutTestAndBuild()
        stubDeploy('dev', 'green', 2)
        sh.ok(historyCall('dev'))
        runPipeline('Jenkinsfile')
        assert !sh.scripts.any { it.startsWith('scripts/rollback.sh') }
        assert pipeline.stage('Deploy').failure.contains('exit 2')
    }

    @Test
    void verifyFailsWhenTheNewColorIsNotLive() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'blue', 0)
        sh.ok(verifyCall('prod'), status('prod', 'blue'))   // still the old color
          .ok(historyCall('prod'))

        runPipeline('Jenkinsfile')

        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').status == 'SUCCESS'
        assert pipeline.stage('Verify').status == 'FAILURE'
        assert pipeline.stage('Verify').failure.contains("on 'blue' after deploying ${IMAGE} over 'blue'")
        // deploy.sh succeeded, so there is nothing for the pipeline to roll back.
        assert !sh.scripts.any { it.startsWith('scripts/rollback.sh') }
    }

    @Test
    void verifyFailsWhenTheLiveColorRunsAnotherImage() {
        onBranch('dev')
        stubCheckoutTestAndBuild()
        stubDeploy('dev', 'blue', 0)
        sh.ok(verifyCall('dev'), status('dev', 'green', 'switchyard:1.0.0-fffffff'))
          .ok(historyCall('dev'))
        runPipeline('Jenkinsfile')
        assert pipeline.stage('Verify').status == 'FAILURE'
        assert pipeline.stage('Verify').failure.contains("serves 'switchyard:1.0.0-fffffff'")
    }

    @Test
    void verifyFailsWhenTheNewColorIsNotHealthy() {
        onBranch('dev')
        stubCheckoutTestAndBuild()
        stubDeploy('dev', 'green', 0)
        sh.ok(verifyCall('dev'), status('dev', 'blue', IMAGE, 'down'))
          .ok(historyCall('dev'))
        runPipeline('Jenkinsfile')
        assert pipeline.stage('Verify').status == 'FAILURE'
        assert pipeline.stage('Verify').failure.contains("(health 'down')")
    }

    @Test
    void anUnreadableLiveColorStopsTheDeployBeforeItStarts() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        sh.ok('scripts/status.sh --json prod', status('prod', 'invalid'))
          .ok(historyCall('prod'))
        runPipeline('Jenkinsfile')
        assert sh.scripts == BUILD_CALLS + ['scripts/status.sh --json prod', historyCall('prod')]
        assert pipeline.stage('Deploy').failure.contains("unexpected live_color 'invalid'")
    }

    @Test
    void aMissingCredentialStopsTheDeployBeforeAnythingIsWritten() {
        credentials.remove('switchyard-prod-jwt-secret')
        onBranch('main')
        stubCheckoutTestAndBuild()
        sh.ok('scripts/status.sh --json prod', status('prod', 'blue'))
          .ok(historyCall('prod'))

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + ['scripts/status.sh --json prod', historyCall('prod')]
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').failure.contains("'switchyard-prod-jwt-secret'")
    }

    @Test
    void anImageThatIsNotTheOneWeTaggedIsNeverDeployed() {
        onBranch('main')
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).ok(MVN_VERIFY)
          .ok(BUILD_IMAGE, 'switchyard:1.0.0-0000000\n')

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS
        assert pipeline.stage('Build image').status == 'FAILURE'
        assert pipeline.stage('Deploy').status == SKIPPED_FAILURE
    }

    @Test
    void aVersionThatCannotBeAnImageTagStopsTheBuildBeforeTests() {
        onBranch('dev')
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, '[ERROR] Could not resolve project version')

        runPipeline('Jenkinsfile')

        assert sh.scripts == [GIT_SHORT, MVN_VERSION]
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Checkout').failure.contains('cannot build an image tag')
    }

    // ------------------------------------------------------------------ secrets and options

    @Test
    void secretsReachTheEnvFileScriptOnlyThroughItsEnvironment() {
        onBranch('main')
        stubCheckoutTestAndBuild()
        stubDeploy('prod', 'blue', 0)
        sh.ok(verifyCall('prod'), status('prod', 'green')).ok(historyCall('prod'))

        runPipeline('Jenkinsfile')

        ShMock.Call writeEnv = sh.calls.find { it.script == 'scripts/write-env-file.sh prod' }
        assert writeEnv.script == 'scripts/write-env-file.sh prod'   // nothing but the env name on argv
        assert writeEnv.env.KAKAO_CLIENT_SECRET == "${SECRETS.KAKAO_CLIENT_SECRET}-prod".toString()
        assert writeEnv.env.JWT_SECRET == "${SECRETS.JWT_SECRET}-prod".toString()
        assert writeEnv.env.MYSQL_USERNAME == 'switchyard'
        assert writeEnv.env.MYSQL_PASSWORD == "${SECRETS.MYSQL_PASSWORD}-prod".toString()
        assert writeEnv.env.MONGODB_URI == "${SECRETS.MONGODB_URI}-prod".toString()
        // Unbound again afterwards (the @AfterEach check covers every other sh call).
        assert !env.containsKey('JWT_SECRET')
    }

    @Test
    void jenkinsfileSourceNeverInterpolatesOrEchoesSecretVariables() {
        String source = new File(REPO_ROOT, 'Jenkinsfile').text
        ['KAKAO_CLIENT_SECRET', 'JWT_SECRET', 'MYSQL_PASSWORD', 'MYSQL_USERNAME', 'MONGODB_URI'].each { String name ->
            assert !source.contains("\${${name}}") && !source.contains("\$${name}") && !source.contains("env.${name}"):
                    "${name} is referenced as a value in the Jenkinsfile"
        }
        assert !(source =~ /(?m)^\s*sh\s+.*\bset\s+-x/)
    }

    @Test
    void optionsBoundEveryBuildAndEveryStage() {
        onBranch('feature/x')
        stubCheckoutTestAndBuild()
        runPipeline('Jenkinsfile')

        assert pipeline.pipelineOptions.containsKey('disableConcurrentBuilds')
        assert pipeline.pipelineOptions.buildDiscarder == [logRotator: [numToKeepStr: '30', artifactNumToKeepStr: '10']]
        assert pipeline.pipelineOptions.timeout == [time: 90, unit: 'MINUTES']
        assert pipeline.pipelineOptions.skipDefaultCheckout == true
        assert pipeline.stages*.name == ALL_STAGES
        pipeline.stages.each { DeclarativePipeline.StageRun stage ->
            assert stage.options.timeout?.time > 0: "stage '${stage.name}' has no timeout"
        }
    }
}
