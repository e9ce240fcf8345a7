package switchyard.jenkins

import groovy.json.JsonOutput
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

import static org.junit.jupiter.api.Assertions.assertThrows
import static switchyard.jenkins.DeclarativePipeline.StageRun.SKIPPED_CONDITIONAL
import static switchyard.jenkins.DeclarativePipeline.StageRun.SKIPPED_FAILURE
import static switchyard.jenkins.DeclarativePipeline.StageRun.SKIPPED_UNSTABLE

/**
 * The repository's Jenkinsfile, per job, branch and failure path. Every sh call is stubbed and the
 * exact list of calls is asserted; an sh the test did not stub fails the test.
 */
class JenkinsfileTest extends PipelineTestSupport {

    static final String COMMIT = 'abc1234'
    static final String VERSION = '1.0.0'
    static final String TAG = "${VERSION}-${COMMIT}"
    static final String IMAGE = "switchyard:${TAG}"
    static final String IMAGE_ID = 'sha256:' + '3f9a0c1e' * 8
    static final String OTHER_ID = 'sha256:' + '77' * 32
    static final String OLD_IMAGE = 'switchyard:0.9.0-1111111'

    static final String GIT_SHORT = 'git rev-parse --short=7 HEAD'
    static final String MVN_VERSION = './mvnw -B -q org.apache.maven.plugins:maven-help-plugin:3.5.1:evaluate -Dexpression=project.version -DforceStdout'
    static final String TESTS = 'scripts/test.sh --only app,shell,jenkins'
    static final String RELEASE = "scripts/release-image.sh ${TAG}"
    static final String NOTIFY = 'jenkins/notify-build.sh'
    static final List<String> BUILD_CALLS = [GIT_SHORT, MVN_VERSION, TESTS, RELEASE]
    static final List<String> ALL_STAGES = ['Checkout', 'Test', 'Build image', 'Approve', 'Deploy', 'Verify']

    static final String PROD_JOB = 'switchyard-prod/switchyard/main'
    static final String DEV_JOB = 'switchyard-dev/switchyard/dev'
    static final String WEBHOOK = 'https://hooks.example.com/services/T000/B000/notify-Secret-0a1b2c'
    static final String SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nssh-Secret-key-material\n-----END OPENSSH PRIVATE KEY-----'

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
                    .sshUserPrivateKey("switchyard-${env}-ssh", 'deploy', "${SSH_KEY}-${env}")
        }
        credentials.secretText('switchyard-notify-webhook', WEBHOOK)
        env.BUILD_URL = 'https://jenkins.example.com/job/switchyard/42/'
    }

    @AfterEach
    void secretsNeverLeak() {
        // Whatever the scenario: no secret on any command line, in any message or in any written file.
        List<String> visibleText = sh.scripts + pipeline.echoes + pipeline.errors +
                pipeline.writtenFiles.collect { "${it.text}".toString() }
        credentials.secretValues.each { String secret ->
            visibleText.each { String text -> assert !text.contains(secret) }
        }
        // App secrets reach only fleet-env-file.sh, the webhook only notify-build.sh, through their environment.
        List<String> appSecretNames = (SECRETS.keySet() + ['MYSQL_USERNAME']) as List<String>
        sh.calls.each { ShMock.Call call ->
            if (!call.script.startsWith('scripts/fleet-env-file.sh')) {
                assert call.env.keySet().intersect(appSecretNames).isEmpty(): "app secrets in the environment of '${call.script}'"
            }
            if (call.script != NOTIFY) {
                assert !call.env.containsKey('NOTIFY_WEBHOOK_URL'): "the webhook in the environment of '${call.script}'"
            }
            if (call.env.containsKey('FLEET_SSH_KEY')) {
                assert call.script ==~ /scripts\/fleet-(env-file|deploy|status)\.sh .*/: "the ssh key bound for '${call.script}'"
            }
        }
        // Thin pipeline: every command is the Maven wrapper, a repository script, or git.
        sh.scripts.each { String script ->
            assert script ==~ /(\.\/mvnw|scripts\/|jenkins\/|git ).*/: "not a wrapper/script call: ${script}"
        }
    }

    // ------------------------------------------------------------------ jobs and stubs

    /** A build of branch {@code branch} by the multibranch job {@code job} (its JOB_NAME). */
    private void build(String branch, String job = "switchyard-ci/switchyard/${branch}") {
        onBranch(branch)
        env.JOB_NAME = job
    }

    private void stubBuild(String id = IMAGE_ID, String source = 'built') {
        sh.ok(GIT_SHORT, "${COMMIT}\n")
          .ok(MVN_VERSION, VERSION)
          .ok(TESTS)
          .ok(RELEASE, "Step 1/12 : FROM eclipse-temurin\n${JsonOutput.toJson([image: IMAGE, id: id, source: source])}\n")
    }

    private static String envFile(String env) {
        "scripts/fleet-env-file.sh ${env}"
    }

    private static String fleetDeploy(String env, String id = IMAGE_ID) {
        "scripts/fleet-deploy.sh --digest ${id} --report target/deploy/${env}-fleet.json ${env} ${IMAGE}"
    }

    private static String fleetStatus(String env) {
        "scripts/fleet-status.sh --json ${env}"
    }

    private static String history(String env) {
        "jenkins/collect-deploy-history.sh ${env} target/deploy"
    }

    /** `scripts/status.sh --json` of one host, in its real shape; its live color runs {@code liveImage}. */
    private static Map hostStatus(String env, String liveColor, String liveImage, String health = 'up') {
        Map colors = ['blue', 'green'].collectEntries { String color ->
            boolean live = color == liveColor
            [(color): [color  : color, port: color == 'blue' ? 8081 : 8082, container: live ? '0123456789ab' : '',
                       state  : live ? 'running' : 'absent', image: live ? liveImage : '',
                       version: live ? liveImage.tokenize(':')[-1] : '', health: live ? health : 'down']]
        }
        [env        : env, live_color: liveColor,
         nginx      : [running: true, routes_to: liveColor, upstream_file: "/etc/nginx/switchyard/${env}-upstream.conf"],
         colors     : colors, lock: [held: false, holder: ''], last_deploys: []]
    }

    /** `scripts/fleet-status.sh --json`: each host runs {@code image} with {@code ids[host]} (default the release's). */
    private static String fleet(String env, List<String> hosts, String image = IMAGE, Map<String, String> ids = [:]) {
        JsonOutput.toJson([env       : env, fleet_lock: [held: false, holder: ''],
                           hosts     : hosts.collect { String host ->
                               [host: host, reachable: true, status: hostStatus(env, 'green', image),
                                live_image_id: ids[host] ?: IMAGE_ID, error: '']
                           }])
    }

    private void stubDeploy(String env, int fleetExit, List<String> hosts = ['local']) {
        sh.ok(envFile(env)).exits(fleetDeploy(env), fleetExit)
        if (fleetExit == 0) {
            sh.ok(fleetStatus(env), fleet(env, hosts))
        }
        if (hosts == ['local']) {
            sh.ok(history(env))
        }
    }

    private void stubNotify() {
        sh.ok(NOTIFY)
    }

    private static List<String> deployCalls(String env, boolean verify = true, boolean local = true) {
        List<String> calls = [envFile(env), fleetDeploy(env)]
        if (verify) {
            calls << fleetStatus(env)
        }
        if (local) {
            calls << history(env)
        }
        calls.collect { it.toString() }
    }

    private Map<String, String> stageStatuses() {
        pipeline.stages.collectEntries { [(it.name): it.status] }
    }

    private ShMock.Call notification() {
        List<ShMock.Call> calls = sh.calls.findAll { it.script == NOTIFY }
        assert calls.size() == 1: "one notification per build, got ${calls.size()}"
        assert sh.scripts[-1] == NOTIFY: 'the notification is the last thing a build does'
        calls[0]
    }

    private List<String> prodCredentialsUsed() {
        pipeline.credentialIdsUsed.findAll { it.startsWith('switchyard-prod-') }
    }

    // ------------------------------------------------------------------ jobs and branches

    @Test
    void devInTheDevJobTestsReleasesAndDeploysToDev() {
        build('dev', DEV_JOB)
        stubBuild()
        stubDeploy('dev', 0)
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('dev') + [NOTIFY]
        assert pipeline.result == 'SUCCESS'
        assert stageStatuses() == [Checkout: 'SUCCESS', Test: 'SUCCESS', 'Build image': 'SUCCESS',
                                   Approve: SKIPPED_CONDITIONAL, Deploy: 'SUCCESS', Verify: 'SUCCESS']
        assert pipeline.checkedOut
        assert pipeline.agentLabel == 'switchyard-dev'
        assert pipeline.credentialIdsUsed == ['switchyard-dev-kakao-client-secret', 'switchyard-dev-jwt-secret',
                                              'switchyard-dev-mysql', 'switchyard-dev-mongodb-uri', 'switchyard-notify-webhook']
        assert pipeline.echoes.contains("dev: ${IMAGE} is live on local".toString())
        assert pipeline.writtenFiles*.file == ['target/image/release.json', 'target/deploy/dev-status.json']
        assert notification().env.NOTIFY_RESULT == 'SUCCESS'
        assert notification().env.NOTIFY_WEBHOOK_URL == WEBHOOK
    }

    @Test
    void mainInTheProdJobWithoutApprovalDeploysToProduction() {
        build('main', PROD_JOB)
        stubBuild()
        stubDeploy('prod', 0)
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('prod') + [NOTIFY]
        assert pipeline.result == 'SUCCESS'
        assert pipeline.stage('Approve').status == SKIPPED_CONDITIONAL
        assert pipeline.input.asked.isEmpty()
        assert pipeline.agentLabel == 'switchyard-prod'
        assert pipeline.credentialIdsUsed.every { it.startsWith('switchyard-prod-') || it == 'switchyard-notify-webhook' }
        assert notification().env.NOTIFY_RESULT == 'SUCCESS'
    }

    @Test
    void mainWithApprovalWaitsForAnApproverThenDeploysTheReleaseItShowed() {
        env.PROD_APPROVAL = 'true'
        env.PROD_APPROVERS = 'alice,bob'
        build('main', PROD_JOB)
        stubBuild()
        stubDeploy('prod', 0)
        stubNotify()
        pipeline.input.approve('bob', 7)

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('prod') + [NOTIFY]
        assert pipeline.result == 'SUCCESS'
        assert pipeline.stages*.name == ALL_STAGES
        assert pipeline.stage('Approve').status == 'SUCCESS'
        assert pipeline.input.asked == [[message           : "Deploy ${IMAGE} (${IMAGE_ID}) to prod (the deploy agent)?".toString(),
                                         ok                : 'Deploy', submitterParameter: 'APPROVER', submitter: 'alice,bob']]
        assert pipeline.echoes.contains('approved by bob')
        // Nothing of prod was bound before the approval: the first prod credential comes with the Deploy stage.
        assert prodCredentialsUsed()[0] == 'switchyard-prod-kakao-client-secret'
    }

    @Test
    void anUnansweredApprovalAbortsTheBuildAtItsTimeoutAndDeploysNothing() {
        env.PROD_APPROVAL = 'true'
        env.PROD_APPROVAL_TIMEOUT_MIN = '15'
        build('main', PROD_JOB)
        stubBuild()
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + [NOTIFY]
        assert pipeline.result == 'ABORTED'
        assert pipeline.timeoutsExpired == ["timeout(15 MINUTES) during input 'Deploy ${IMAGE} (${IMAGE_ID}) to prod (the deploy agent)?'".toString()]
        assert stageStatuses().subMap(['Approve', 'Deploy', 'Verify']) ==
                [Approve: 'ABORTED', Deploy: SKIPPED_FAILURE, Verify: SKIPPED_FAILURE]
        assert prodCredentialsUsed().isEmpty()
        assert notification().env.NOTIFY_RESULT == 'ABORTED'
        assert notification().env.NOTIFY_STAGE == 'Approve'
    }

    @Test
    void aMalformedApprovalTimeoutFailsTheApprovalNotTheGuard() {
        env.PROD_APPROVAL = 'true'
        env.PROD_APPROVAL_TIMEOUT_MIN = 'forever'
        build('main', PROD_JOB)
        stubBuild()
        stubNotify()
        runPipeline('Jenkinsfile')
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Approve').failure.contains("PROD_APPROVAL_TIMEOUT_MIN must be a whole number of minutes, got 'forever'")
        assert pipeline.input.asked.isEmpty()
        assert prodCredentialsUsed().isEmpty()
    }

    @Test
    void aRejectedApprovalAbortsTheBuild() {
        env.PROD_APPROVAL = 'true'
        build('main', PROD_JOB)
        stubBuild()
        stubNotify()
        pipeline.input.reject('alice', 3)

        runPipeline('Jenkinsfile')

        assert pipeline.result == 'ABORTED'
        assert pipeline.stage('Approve').failure == 'Rejected by alice'
        assert !sh.scripts.any { it.startsWith('scripts/fleet-') }
        assert notification().env.NOTIFY_RESULT == 'ABORTED'
    }

    @Test
    void aFeatureBranchIsTestedAndBuiltOnABuildAgentAndNeverDeployed() {
        build('feature/chat-typing')
        stubBuild()
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + [NOTIFY]
        assert pipeline.result == 'SUCCESS'
        assert stageStatuses() == [Checkout: 'SUCCESS', Test: 'SUCCESS', 'Build image': 'SUCCESS',
                                   Approve: SKIPPED_CONDITIONAL, Deploy: SKIPPED_CONDITIONAL, Verify: SKIPPED_CONDITIONAL]
        assert pipeline.agentLabel == 'switchyard-build'
        assert pipeline.credentialIdsUsed == ['switchyard-notify-webhook']
        assert notification().env.NOTIFY_RESULT == 'SUCCESS'
    }

    @Test
    void aPullRequestIsTestedAndBuiltOnABuildAgentAndNeverDeployed() {
        env.JOB_NAME = 'switchyard-ci/switchyard/PR-12'
        onPullRequest(12, 'main')
        stubBuild()
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + [NOTIFY]
        assert pipeline.stage('Deploy').status == SKIPPED_CONDITIONAL
        assert pipeline.stage('Verify').status == SKIPPED_CONDITIONAL
        assert pipeline.agentLabel == 'switchyard-build'
        assert pipeline.credentialIdsUsed == ['switchyard-notify-webhook']
        assert env.DEPLOY_ENV == 'none'
    }

    @Test
    void prodCredentialsAreNeverBoundOutsideTheProdJobsMain() {
        // main built by another job, a change request named main, dev, a pull request, a feature branch.
        List<Closure> builds = [
                { build('main', 'switchyard-ci/switchyard/main') },
                { build('main', PROD_JOB); env.CHANGE_ID = '5' },
                { build('main', 'switchyard-prod-copy/switchyard/main') },
                { build('dev', DEV_JOB) },
                { env.JOB_NAME = 'switchyard-prod/switchyard/PR-3'; onPullRequest(3, 'main') },
                { build('feature/x', 'switchyard-prod/switchyard/feature%2Fx') },
        ]
        builds.each { Closure setUp ->
            setUpPipelineRuntime()
            jenkinsWithCredentials()
            setUp()
            stubBuild()
            if (env.BRANCH_NAME == 'dev') {
                stubDeploy('dev', 0)
            }
            stubNotify()
            runPipeline('Jenkinsfile')
            assert prodCredentialsUsed().isEmpty(): "prod credentials bound by ${env.JOB_NAME}"
            assert pipeline.agentLabel != 'switchyard-prod'
            assert !sh.scripts.any { it.contains(' prod') }
            secretsNeverLeak()
        }
    }

    @Test
    void thePipelineItselfRefusesToBindProdCredentialsAnywhereElse() {
        // Even if a change to the stages called it: the guard is in the binding itself.
        env.JOB_NAME = 'switchyard-ci/switchyard/PR-9'
        onPullRequest(9, 'main')
        Script jenkinsfile = loadScript('Jenkinsfile')
        boolean ran = false

        PipelineFailure refused = assertThrows(PipelineFailure) { jenkinsfile.withDeployCredentials('prod') { ran = true } }
        assert refused.message.contains('refusing to bind switchyard-prod-* credentials in switchyard-ci/switchyard/PR-9')
        assertThrows(PipelineFailure) { jenkinsfile.withFleetAccess('prod') { ran = true } }
        assert !ran
        assert pipeline.credentialIdsUsed.isEmpty()
    }

    @Test
    void aBuildThatDeploysNothingRefusesANodeWithADeployLabel() {
        build('feature/x')
        pipeline.nodeLabels['switchyard-build'] = 'linux switchyard-build switchyard-prod'
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == [NOTIFY]
        assert !pipeline.checkedOut
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Checkout').failure.contains('carries the deploy label(s) [switchyard-prod]')
        assert notification().env.NOTIFY_STAGE == 'Checkout'
    }

    @Test
    void agentLabelsAreConfigurablePerEnvironment() {
        env.SWITCHYARD_PROD_AGENT_LABEL = 'prod-deployer-1'
        build('main', PROD_JOB)
        stubBuild()
        stubDeploy('prod', 0)
        stubNotify()
        runPipeline('Jenkinsfile')
        assert pipeline.agentLabel == 'prod-deployer-1'
    }

    @Test
    void folderNamesAreConfigurable() {
        env.SWITCHYARD_PROD_FOLDER = 'ops/switchyard-production'
        build('main', 'ops/switchyard-production/switchyard/main')
        stubBuild()
        stubDeploy('prod', 0)
        stubNotify()
        runPipeline('Jenkinsfile')
        assert pipeline.stage('Deploy').status == 'SUCCESS'
    }

    // ------------------------------------------------------------------ several hosts, promotion

    @Test
    void multiHostProdShipsTheTestedReleaseWithTheHostsSshKeyAndVerifiesEveryHost() {
        env.PROD_HOSTS = 'app-1 app-2'
        build('main', PROD_JOB)
        stubBuild()
        stubDeploy('prod', 0, ['app-1', 'app-2'])
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + deployCalls('prod', true, false) + [NOTIFY]
        assert pipeline.result == 'SUCCESS'
        // The ssh key of the prod hosts is bound around the three fleet calls only (see secretsNeverLeak).
        ['scripts/fleet-env-file.sh', 'scripts/fleet-deploy.sh', 'scripts/fleet-status.sh'].each { String script ->
            assert sh.calls.find { it.script.startsWith(script) }.env.FLEET_SSH_KEY == '/agent/workspace@tmp/secretFiles/switchyard-prod-ssh/key'
        }
        assert prodCredentialsUsed().count('switchyard-prod-ssh') == 3
        assert pipeline.echoes.contains("prod: ${IMAGE} is live on app-1, app-2".toString())
        assert pipeline.writtenFiles.find { it.file == 'target/deploy/prod-status.json' }.text == fleet('prod', ['app-1', 'app-2'])
    }

    @Test
    void theDeployUsesExactlyTheImageIdTheBuildRecorded() {
        String promoted = 'sha256:' + 'c0ffee00' * 8
        build('dev', DEV_JOB)
        stubBuild(promoted, 'registry')
        sh.ok(envFile('dev')).ok(fleetDeploy('dev', promoted))
          .ok(fleetStatus('dev'), fleet('dev', ['local'], IMAGE, [local: promoted])).ok(history('dev'))
        stubNotify()

        runPipeline('Jenkinsfile')

        assert pipeline.result == 'SUCCESS'
        assert sh.scripts.contains(fleetDeploy('dev', promoted))
        assert pipeline.writtenFiles.find { it.file == 'target/image/release.json' }.text ==
                JsonOutput.toJson([image: IMAGE, id: promoted, source: 'registry'])
        assert pipeline.echoes.contains("release ${IMAGE} = ${promoted} (registry)".toString())
    }

    @Test
    void verifyFailsWhenAHostRunsOtherBytesUnderTheReleaseTag() {
        env.PROD_HOSTS = 'app-1 app-2'
        build('main', PROD_JOB)
        stubBuild()
        sh.ok(envFile('prod')).ok(fleetDeploy('prod'))
          .ok(fleetStatus('prod'), fleet('prod', ['app-1', 'app-2'], IMAGE, ['app-2': OTHER_ID]))
        stubNotify()

        runPipeline('Jenkinsfile')

        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Verify').status == 'FAILURE'
        assert pipeline.stage('Verify').failure.contains("app-2 serves '${IMAGE}' (${OTHER_ID}, health 'up')")
        assert !pipeline.stage('Verify').failure.contains('app-1 serves')
        assert notification().env.NOTIFY_STAGE == 'Verify'
    }

    @Test
    void aFailingSecondHostMeansTheFleetRolledBackAndTheBuildSaysSo() {
        // fleet-deploy.sh exit 6: a host failed after others switched; it rolled those back itself
        // (its bats test and tests/fleet cover the order). The pipeline fails and says "rolled back".
        env.PROD_HOSTS = 'app-1 app-2'
        build('main', PROD_JOB)
        stubBuild()
        stubDeploy('prod', 6, ['app-1', 'app-2'])
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + [envFile('prod'), fleetDeploy('prod'), NOTIFY]
        assert !sh.scripts.any { it.contains('rollback.sh') }
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').failure.contains('they were rolled back (exit 6)')
        assert pipeline.stage('Verify').status == SKIPPED_FAILURE
        ShMock.Call notified = notification()
        assert notified.env.NOTIFY_RESULT == 'ROLLED_BACK'
        assert notified.env.NOTIFY_STAGE == 'Deploy'
        assert notified.env.NOTIFY_REPORT == 'target/deploy/prod-fleet.json'
        assert notified.env.NOTIFY_MESSAGE.contains('every host is on its previous release')
    }

    @Test
    void eachFleetFailureIsNamedAndNoneIsRolledBackByThePipeline() {
        [2: 'usage or configuration error (exit 2)', 3: 'another fleet deploy holds the lock (exit 3)',
         4: 'failed before any host switched (exit 4)', 5: 'a host is not back on its previous release (exit 5)',
         9: 'unexpected exit code 9'].each { int code, String message ->
            setUpPipelineRuntime()
            jenkinsWithCredentials()
            build('main', PROD_JOB)
            stubBuild()
            stubDeploy('prod', code)
            stubNotify()
            runPipeline('Jenkinsfile')
            assert pipeline.result == 'FAILURE'
            assert pipeline.stage('Deploy').failure.contains(message)
            assert notification().env.NOTIFY_RESULT == 'FAILURE'
            assert sh.scripts == BUILD_CALLS + [envFile('prod'), fleetDeploy('prod'), history('prod'), NOTIFY]
            secretsNeverLeak()
        }
    }

    // ------------------------------------------------------------------ failures before the deploy

    @Test
    void failingTestsMeanNoImageNoDeployAndAFailureNotification() {
        build('main', PROD_JOB)
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).exits(TESTS, 1)
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == [GIT_SHORT, MVN_VERSION, TESTS, NOTIFY]
        assert pipeline.result == 'FAILURE'
        assert stageStatuses() == [Checkout: 'SUCCESS', Test: 'FAILURE', 'Build image': SKIPPED_FAILURE,
                                   Approve: SKIPPED_FAILURE, Deploy: SKIPPED_FAILURE, Verify: SKIPPED_FAILURE]
        // Test reports are still published and archived.
        assert pipeline.junitReports*.testResults ==
                ['target/surefire-reports/*.xml, target/failsafe-reports/*.xml, jenkins/pipeline-tests/target/surefire-reports/*.xml']
        assert pipeline.archived*.artifacts.any { it.contains('target/surefire-reports/**') }
        assert prodCredentialsUsed().isEmpty()
        assert notification().env.NOTIFY_RESULT == 'FAILURE'
        assert notification().env.NOTIFY_STAGE == 'Test'
    }

    @Test
    void testFailuresRecordedByJunitMakeTheBuildUnstableAndNothingDeploys() {
        build('main', PROD_JOB)
        pipeline.junitFindsFailures = true
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).ok(TESTS)
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == [GIT_SHORT, MVN_VERSION, TESTS, NOTIFY]
        assert pipeline.result == 'UNSTABLE'
        assert pipeline.stage('Test').status == 'UNSTABLE'
        assert pipeline.stage('Build image').status == SKIPPED_UNSTABLE
        assert pipeline.stage('Deploy').status == SKIPPED_UNSTABLE
        assert notification().env.NOTIFY_RESULT == 'UNSTABLE'
    }

    @Test
    void aTestRunPastItsTimeoutAbortsTheBuild() {
        build('dev', DEV_JOB)
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).ok(TESTS).takes(50)
        stubNotify()

        runPipeline('Jenkinsfile')

        assert pipeline.result == 'ABORTED'
        assert pipeline.timeoutsExpired == ["timeout(45 MINUTES) during sh '${TESTS}'".toString()]
        assert pipeline.stage('Deploy').status == SKIPPED_FAILURE
        assert notification().env.NOTIFY_RESULT == 'ABORTED'
        assert notification().env.NOTIFY_STAGE == 'Test'
    }

    @Test
    void theTestSuitesAreConfigurableAndChecked() {
        env.SWITCHYARD_TEST_SUITES = 'app,shell,jenkins,deploy'
        build('feature/x')
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).ok('scripts/test.sh --only app,shell,jenkins,deploy')
          .ok(RELEASE, JsonOutput.toJson([image: IMAGE, id: IMAGE_ID, source: 'built']))
        stubNotify()
        runPipeline('Jenkinsfile')
        assert pipeline.result == 'SUCCESS'

        setUpPipelineRuntime()
        jenkinsWithCredentials()
        env.SWITCHYARD_TEST_SUITES = 'app; rm -rf /'
        build('feature/x')
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION)
        stubNotify()
        runPipeline('Jenkinsfile')
        assert pipeline.stage('Test').failure.contains('SWITCHYARD_TEST_SUITES must be a comma-separated list')
    }

    @Test
    void aReleaseThatIsNotTheTaggedImageWithItsIdIsNeverDeployed() {
        [JsonOutput.toJson([image: 'switchyard:1.0.0-0000000', id: IMAGE_ID, source: 'built']),
         JsonOutput.toJson([image: IMAGE, id: 'latest', source: 'built']),
         "${IMAGE}\n"].each { String output ->
            setUpPipelineRuntime()
            jenkinsWithCredentials()
            build('main', PROD_JOB)
            sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, VERSION).ok(TESTS).ok(RELEASE, output)
            stubNotify()
            // (readJSON of a line that is not JSON fails the step, as in Jenkins.)
            runPipeline('Jenkinsfile')
            assert pipeline.stage('Build image').status == 'FAILURE'
            assert pipeline.stage('Deploy').status == SKIPPED_FAILURE
            assert prodCredentialsUsed().isEmpty()
        }
    }

    @Test
    void aVersionThatCannotBeAnImageTagStopsTheBuildBeforeTests() {
        build('dev', DEV_JOB)
        sh.ok(GIT_SHORT, COMMIT).ok(MVN_VERSION, '[ERROR] Could not resolve project version')
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == [GIT_SHORT, MVN_VERSION, NOTIFY]
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Checkout').failure.contains('cannot build an image tag')
    }

    @Test
    void aMissingCredentialStopsTheDeployBeforeAnythingIsWritten() {
        credentials.remove('switchyard-prod-jwt-secret')
        build('main', PROD_JOB)
        stubBuild()
        sh.ok(history('prod'))
        stubNotify()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS + [history('prod'), NOTIFY]
        assert pipeline.result == 'FAILURE'
        assert pipeline.stage('Deploy').failure.contains("'switchyard-prod-jwt-secret'")
    }

    // ------------------------------------------------------------------ secrets, notifications, options

    @Test
    void secretsReachTheEnvFileScriptOnlyThroughItsEnvironment() {
        build('main', PROD_JOB)
        stubBuild()
        stubDeploy('prod', 0)
        stubNotify()

        runPipeline('Jenkinsfile')

        ShMock.Call writeEnv = sh.calls.find { it.script == envFile('prod') }
        assert writeEnv.env.KAKAO_CLIENT_SECRET == "${SECRETS.KAKAO_CLIENT_SECRET}-prod".toString()
        assert writeEnv.env.JWT_SECRET == "${SECRETS.JWT_SECRET}-prod".toString()
        assert writeEnv.env.MYSQL_USERNAME == 'switchyard'
        assert writeEnv.env.MYSQL_PASSWORD == "${SECRETS.MYSQL_PASSWORD}-prod".toString()
        assert writeEnv.env.MONGODB_URI == "${SECRETS.MONGODB_URI}-prod".toString()
        // Unbound again afterwards (the @AfterEach check covers every other sh call).
        assert !env.containsKey('JWT_SECRET')
        assert !env.containsKey('NOTIFY_WEBHOOK_URL')
    }

    @Test
    void aJobWithoutAWebhookCredentialStillSucceeds() {
        credentials.remove('switchyard-notify-webhook')
        build('feature/x')
        stubBuild()

        runPipeline('Jenkinsfile')

        assert sh.scripts == BUILD_CALLS
        assert pipeline.result == 'SUCCESS'
        assert pipeline.echoes.any { it.startsWith('chat notification skipped: Could not find credentials entry') }
    }

    @Test
    void aWebhookThatFailsNeverFailsTheBuild() {
        build('feature/x')
        stubBuild()
        sh.exits(NOTIFY, 1)
        runPipeline('Jenkinsfile')
        assert pipeline.result == 'SUCCESS'
    }

    @Test
    void jenkinsfileSourceNeverInterpolatesOrEchoesSecretVariables() {
        String source = new File(REPO_ROOT, 'Jenkinsfile').text
        ['KAKAO_CLIENT_SECRET', 'JWT_SECRET', 'MYSQL_PASSWORD', 'MYSQL_USERNAME', 'MONGODB_URI', 'NOTIFY_WEBHOOK_URL',
         'FLEET_SSH_KEY'].each { String name ->
            assert !source.contains("\${${name}}") && !source.contains("\$${name}") && !source.contains("env.${name}"):
                    "${name} is referenced as a value in the Jenkinsfile"
        }
        assert !(source =~ /(?m)^\s*sh\s+.*\bset\s+-x/)
    }

    @Test
    void optionsBoundEveryBuildAndEveryStage() {
        build('feature/x')
        stubBuild()
        stubNotify()
        runPipeline('Jenkinsfile')

        assert pipeline.pipelineOptions.containsKey('disableConcurrentBuilds')
        assert pipeline.pipelineOptions.buildDiscarder == [logRotator: [numToKeepStr: '30', artifactNumToKeepStr: '10']]
        assert pipeline.pipelineOptions.timeout == [time: 120, unit: 'MINUTES']
        assert pipeline.pipelineOptions.skipDefaultCheckout == true
        assert pipeline.pipelineOptions.skipStagesAfterUnstable == true
        assert pipeline.stages*.name == ALL_STAGES
        // Every stage has a timeout of its own, except Approve, whose input has one (tested above).
        pipeline.stages.findAll { it.name != 'Approve' }.each { DeclarativePipeline.StageRun stage ->
            assert stage.options.timeout?.time > 0: "stage '${stage.name}' has no timeout"
        }
    }
}
