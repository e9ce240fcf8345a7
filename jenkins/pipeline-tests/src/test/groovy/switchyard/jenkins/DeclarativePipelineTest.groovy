package switchyard.jenkins

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

import static org.junit.jupiter.api.Assertions.assertThrows

/** The test helper itself: each declarative keyword behaves as in Jenkins. */
class DeclarativePipelineTest extends PipelineTestSupport {

    @BeforeEach
    void defaults() {
        credentials.secretText('api-token', 's3cr3t-token')
    }

    @Test
    void whenBranchSkipsTheStageOnAnotherBranch() {
        onBranch('dev')
        sh.ok('step one hello!').ok('stage one succeeded').ok('last')
          .ok('post always').ok('post success').ok('post cleanup')

        runPipeline('semantics.jenkins')

        assert sh.scripts == ['step one hello!', 'stage one succeeded', 'last',
                              'post always', 'post success', 'post cleanup']
        assert pipeline.stage('Main only').status == DeclarativePipeline.StageRun.SKIPPED_CONDITIONAL
        assert pipeline.stage('Release branches').status == DeclarativePipeline.StageRun.SKIPPED_CONDITIONAL
        assert pipeline.result == 'SUCCESS'
        assert binding.getVariable('currentBuild').result == 'SUCCESS'
    }

    @Test
    void whenBranchRunsTheStageOnThatBranch() {
        onBranch('main')
        sh.ok('step one hello!').ok('stage one succeeded').ok('main only').ok('last')
          .ok('post always').ok('post success').ok('post cleanup')

        runPipeline('semantics.jenkins')

        assert pipeline.stage('Main only').status == 'SUCCESS'
        assert sh.scripts.indexOf('main only') == 2
    }

    @Test
    void anyOfMatchesGlobPatternsAndNotChangeRequestExcludesPullRequests() {
        onBranch('release-1.2')
        sh.ok('step one hello!').ok('stage one succeeded').ok('release').ok('last')
          .ok('post always').ok('post success').ok('post cleanup')
        runPipeline('semantics.jenkins')
        assert pipeline.stage('Release branches').status == 'SUCCESS'
        // The stage environment was visible to the stage and is gone afterwards.
        assert sh.calls.find { it.script == 'release' }.env.STAGE_ONLY == 'scoped'
        assert sh.calls.find { it.script == 'last' }.env.STAGE_ONLY == null
    }

    @Test
    void expressionConditionAndChangeRequest() {
        onPullRequest(3, 'main')
        env.FORCE_RELEASE = 'yes'
        sh.ok('step one hello!').ok('stage one succeeded').ok('last')
          .ok('post always').ok('post success').ok('post cleanup')
        runPipeline('semantics.jenkins')
        // expression is true, but not { changeRequest() } is false on a pull request.
        assert pipeline.stage('Release branches').status == DeclarativePipeline.StageRun.SKIPPED_CONDITIONAL
    }

    @Test
    void aFailingShFailsTheStageTheBuildAndSkipsLaterStages() {
        onBranch('main')
        sh.exits('step one hello!', 2).ok('stage one failed')
          .ok('post always').ok('post failure').ok('post unsuccessful').ok('post cleanup')

        runPipeline('semantics.jenkins')

        assert sh.scripts == ['step one hello!', 'stage one failed',
                              'post always', 'post failure', 'post unsuccessful', 'post cleanup']
        assert pipeline.stage('Always').status == 'FAILURE'
        assert pipeline.stage('Always').failure == 'script returned exit code 2'
        assert pipeline.stage('Main only').status == DeclarativePipeline.StageRun.SKIPPED_FAILURE
        assert pipeline.stage('Last').status == DeclarativePipeline.StageRun.SKIPPED_FAILURE
        assert pipeline.result == 'FAILURE'
        assert binding.getVariable('currentBuild').result == 'FAILURE'
    }

    @Test
    void aFailingAlwaysPostTurnsTheBuildIntoAFailure() {
        onBranch('dev')
        sh.ok('step one hello!').ok('stage one succeeded').ok('last')
          .exits('post always', 1).ok('post failure').ok('post unsuccessful').ok('post cleanup')
        runPipeline('semantics.jenkins')
        assert pipeline.postBlocksRun == ['Always:success', 'pipeline:always', 'pipeline:failure',
                                          'pipeline:unsuccessful', 'pipeline:cleanup']
        assert pipeline.result == 'FAILURE'
    }

    @Test
    void environmentIsEvaluatedInOrderAndCredentialsBindTheSecret() {
        onBranch('dev')
        sh.ok('step one hello!').ok('stage one succeeded').ok('last')
          .ok('post always').ok('post success').ok('post cleanup')
        runPipeline('semantics.jenkins')
        ShMock.Call first = sh.calls[0]
        assert first.env.GREETING == 'hello'
        assert first.env.TOKEN == 's3cr3t-token'
        assert pipeline.credentialIdsUsed == ['api-token']
        assert pipeline.agentLabel == 'builder'
        assert pipeline.pipelineOptions.keySet() == ['disableConcurrentBuilds', 'timeout'] as Set
    }

    @Test
    void aMissingCredentialFailsTheBuildBeforeAnyStage() {
        credentials.remove('api-token')
        onBranch('dev')
        sh.ok('post always').ok('post failure').ok('post unsuccessful').ok('post cleanup')

        runPipeline('semantics.jenkins')

        assert pipeline.result == 'FAILURE'
        assert pipeline.stages*.status.every { it == DeclarativePipeline.StageRun.SKIPPED_FAILURE }
        assert pipeline.echoes.any { it.contains("Could not find credentials entry with ID 'api-token'") }
        assert sh.scripts == ['post always', 'post failure', 'post unsuccessful', 'post cleanup']
    }

    @Test
    void anUnexpectedShFailsTheTestEvenInsideAStageThatCatchesFailures() {
        onBranch('dev')
        sh.ok('step one hello!')   // 'stage one succeeded' is not stubbed

        UnexpectedStepCall thrown = assertThrows(UnexpectedStepCall) { runPipeline('semantics.jenkins') }
        assert thrown.message.contains("unexpected sh call: 'stage one succeeded'")
    }

    @Test
    void eachStubAnswersExactlyOneCall() {
        onBranch('dev')
        sh.ok('step one hello!').ok('stage one succeeded').ok('last').ok('post always').ok('post success')
        assertThrows(UnexpectedStepCall) { runPipeline('semantics.jenkins') }   // no stub left for 'post cleanup'
    }

    @Test
    void aKeywordInTheWrongPlaceIsRejected() {
        onBranch('main')
        assertThrows(MissingMethodException) { runPipeline('misplaced-keyword.jenkins') }
        assert sh.calls.isEmpty()
    }

    @Test
    void globPatterns() {
        assert DeclarativePipeline.globMatches('release-*', 'release-1.2')
        assert DeclarativePipeline.globMatches('main', 'main')
        assert !DeclarativePipeline.globMatches('main', 'main2')
        assert !DeclarativePipeline.globMatches('main', 'PR-1')
        assert !DeclarativePipeline.globMatches('rel.ase', 'release')
        assert !DeclarativePipeline.globMatches('main', null)
    }
}
