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

    // ------------------------------------------------------------------ structure, as Jenkins validates it

    private PipelineValidationError rejected(String script) {
        onBranch('main')
        PipelineValidationError thrown = assertThrows(PipelineValidationError) { runPipeline(script) }
        assert sh.calls.isEmpty(): 'nothing runs when Jenkins refuses the pipeline'
        assert pipeline.stages.isEmpty()
        thrown
    }

    @Test
    void aWhenConditionDirectlyInAStageIsRejectedByName() {
        PipelineValidationError thrown = rejected('misplaced-keyword.jenkins')
        assert thrown.errors == ['misplaced-keyword.jenkins: 8: Unknown stage section "branch". Starting with version 0.5, ' +
                                         'steps in a stage must be in a \'steps\' block. @ line 8, column 13.']
    }

    @Test
    void aStepDirectlyInAStageIsRejectedByName() {
        PipelineValidationError thrown = rejected('misplaced-step.jenkins')
        assert thrown.errors == ['misplaced-step.jenkins: 8: Unknown stage section "sh". Starting with version 0.5, ' +
                                         'steps in a stage must be in a \'steps\' block. @ line 8, column 13.',
                                 'misplaced-step.jenkins: 7: No "steps" or "parallel" to execute within stage "Build" @ line 7, column 9.']
        assert thrown.message.startsWith('startup failed:')
    }

    @Test
    void stepsInThePipelineBlockAndCredentialsInAStageAreAllReported() {
        PipelineValidationError thrown = rejected('steps-outside-stages.jenkins')
        assert thrown.errors.size() == 2
        assert thrown.errors[0].contains('Undefined section "echo"')
        assert thrown.errors[1].contains('Unknown stage section "withCredentials"')
    }

    @Test
    void plainGroovyInStepsMustBeInAScriptBlock() {
        PipelineValidationError thrown = rejected('groovy-in-steps.jenkins')
        assert thrown.errors.size() == 2
        assert thrown.errors.every { it.contains('Expected a step') && it.contains('script { } block') }
    }

    @Test
    void unknownConditionsOptionsAndSectionsInStepsAreRejectedByName() {
        PipelineValidationError thrown = rejected('unknown-directives.jenkins')
        assert thrown.errors.size() == 4
        assert thrown.errors[0].contains('Unknown conditional branchName')
        assert thrown.errors[1].contains('Invalid option type "buildDiscarder". Valid option types: [retry, skipDefaultCheckout, timeout, timestamps]')
        assert thrown.errors[2].contains('Invalid step "post" used - not allowed in this context')
        assert thrown.errors[3].contains('(found "failed")')
    }

    @Test
    void aMissingAgentAndADuplicateStageAreRejected() {
        PipelineValidationError thrown = rejected('missing-agent.jenkins')
        assert thrown.errors.any { it.contains('Duplicate stage name: "Build"') }
        assert thrown.errors.any { it.contains('Missing required section "agent"') }
    }

    // ------------------------------------------------------------------ timeouts, ABORTED, UNSTABLE

    @Test
    void aStageTimeoutAbortsTheStageAndTheBuildAndSkipsTheRest() {
        onBranch('dev')
        sh.ok('quick').takes(2).ok('bounded').takes(11)
          .ok('stage aborted').ok('pipeline aborted').ok('pipeline unsuccessful').ok('cleanup')

        runPipeline('timeouts.jenkins')

        assert sh.scripts == ['quick', 'bounded', 'stage aborted', 'pipeline aborted', 'pipeline unsuccessful', 'cleanup']
        assert pipeline.stage('Bounded').status == 'ABORTED'
        assert pipeline.stage('Bounded').failure == 'Timeout has been exceeded'
        assert pipeline.stage('After').status == DeclarativePipeline.StageRun.SKIPPED_FAILURE
        assert pipeline.result == 'ABORTED'
        assert pipeline.timeoutsExpired == ["timeout(10 MINUTES) during sh 'bounded'"]
        assert pipeline.clockMinutes == 12
    }

    @Test
    void aTimeoutStepInsideAScriptInterruptsOnlyWhatItWraps() {
        onBranch('dev')
        sh.ok('quick').ok('bounded').takes(1).ok('inner').takes(2)
          .ok('stage aborted').ok('pipeline aborted').ok('pipeline unsuccessful').ok('cleanup')
        runPipeline('timeouts.jenkins')
        assert pipeline.timeoutsExpired == ["timeout(90 SECONDS) during sh 'inner'"]
        assert pipeline.stage('Bounded').status == 'ABORTED'
        assert pipeline.clockMinutes == 2.5
    }

    @Test
    void withinTheirTimeoutsEveryStageRuns() {
        onBranch('dev')
        sh.ok('quick').takes(5).ok('bounded').takes(8).ok('inner').takes(1).ok('after').takes(30).ok('cleanup')
        runPipeline('timeouts.jenkins')
        assert pipeline.result == 'SUCCESS'
        assert sh.scripts == ['quick', 'bounded', 'inner', 'after', 'cleanup']
    }

    @Test
    void thePipelineTimeoutBoundsTheWholeBuild() {
        onBranch('dev')
        sh.ok('quick').takes(50).ok('bounded').ok('inner').ok('after').takes(20)
          .ok('pipeline aborted').ok('pipeline unsuccessful').ok('cleanup')
        runPipeline('timeouts.jenkins')
        assert pipeline.timeoutsExpired == ["timeout(60 MINUTES) during sh 'after'"]
        assert pipeline.stage('After').status == 'ABORTED'
        assert pipeline.result == 'ABORTED'
    }

    @Test
    void anUnstableStageLeavesLaterStagesRunningAndRunsTheUnstablePosts() {
        onBranch('dev')
        sh.ok('tests').ok('stage unstable').ok('next').ok('post unstable')
        runPipeline('unstable.jenkins')
        assert pipeline.stage('Flaky').status == 'UNSTABLE'
        assert pipeline.stage('Next').status == 'SUCCESS'
        assert pipeline.stage('Broken').status == DeclarativePipeline.StageRun.SKIPPED_CONDITIONAL
        assert pipeline.result == 'UNSTABLE'
        assert sh.scripts == ['tests', 'stage unstable', 'next', 'post unstable']
        assert pipeline.echoes.contains('WARNING: 2 tests failed')
    }

    @Test
    void aResultOnlyGetsWorseAndChangedRegressionFollowThePreviousBuild() {
        onBranch('dev')
        env.BREAK = 'yes'
        pipeline.previousResult = 'SUCCESS'
        sh.ok('tests').ok('stage unstable').ok('next').exits('broken', 1)
          .ok('post failure').ok('post changed').ok('post regression')
        runPipeline('unstable.jenkins')
        assert pipeline.result == 'FAILURE'
        assert pipeline.postBlocksRun.findAll { it.startsWith('pipeline:') } == ['pipeline:changed', 'pipeline:regression', 'pipeline:failure']
    }

    @Test
    void fixedRunsWhenASuccessFollowsAFailure() {
        onBranch('dev')
        pipeline.previousResult = 'FAILURE'
        sh.ok('step one hello!').ok('stage one succeeded').ok('last')
          .ok('post always').ok('post fixed').ok('post success').ok('post cleanup')
        runPipeline('semantics.jenkins')
        assert pipeline.result == 'SUCCESS'
        assert sh.scripts[3..-1] == ['post always', 'post fixed', 'post success', 'post cleanup']
    }

    @Test
    void skipStagesAfterUnstableSkipsTheRest() {
        onBranch('dev')
        runPipeline('unstable-skips.jenkins')
        assert pipeline.stage('Flaky').status == 'UNSTABLE'
        assert pipeline.stage('Deploy').status == DeclarativePipeline.StageRun.SKIPPED_UNSTABLE
        assert sh.calls.isEmpty()
        assert pipeline.result == 'UNSTABLE'
    }

    @Test
    void anApprovedInputReturnsTheApprover() {
        onBranch('main')
        pipeline.input.approve('bob', 12)
        sh.ok('ship by bob')
        runPipeline('approval.jenkins')
        assert pipeline.result == 'SUCCESS'
        assert pipeline.input.asked == [[message: 'Ship it?', ok: 'Ship', submitter: 'alice, bob', submitterParameter: 'WHO']]
        assert pipeline.clockMinutes == 12
    }

    @Test
    void aRejectedInputAbortsTheBuild() {
        onBranch('main')
        pipeline.input.reject('alice')
        sh.ok('post aborted')
        runPipeline('approval.jenkins')
        assert pipeline.result == 'ABORTED'
        assert pipeline.stage('Approve').failure == 'Rejected by alice'
        assert pipeline.stage('Ship').status == DeclarativePipeline.StageRun.SKIPPED_FAILURE
    }

    @Test
    void anUnansweredInputEndsAtItsTimeout() {
        onBranch('main')
        sh.ok('post aborted')
        runPipeline('approval.jenkins')
        assert pipeline.result == 'ABORTED'
        assert pipeline.timeoutsExpired == ["timeout(30 MINUTES) during input 'Ship it?'"]
        assert sh.scripts == ['post aborted']
    }

    @Test
    void onlyASubmitterMayAnswer() {
        onBranch('main')
        pipeline.input.approve('mallory')
        AssertionError thrown = assertThrows(AssertionError) { runPipeline('approval.jenkins') }
        assert thrown.message.contains('mallory may not answer this input (submitter: alice, bob)')
    }

    // ------------------------------------------------------------------ branch patterns

    @Test
    void branchPatternsAreJenkinsGlobs() {
        // Plain names match exactly (case aside); '*' and '?' stay within one '/'-separated part.
        assert DeclarativePipeline.globMatches('main', 'main')
        assert DeclarativePipeline.globMatches('main', 'MAIN')
        assert !DeclarativePipeline.globMatches('main', 'main2')
        assert !DeclarativePipeline.globMatches('main', 'PR-1')
        assert !DeclarativePipeline.globMatches('rel.ase', 'release')
        assert DeclarativePipeline.globMatches('release-*', 'release-1.2')
        assert DeclarativePipeline.globMatches('release/*', 'release/1.2')
        assert !DeclarativePipeline.globMatches('release/*', 'release/1.2/hotfix')
        assert DeclarativePipeline.globMatches('release/**', 'release/1.2/hotfix')
        assert !DeclarativePipeline.globMatches('feature-*', 'feature/x')
        assert !DeclarativePipeline.globMatches('*', 'feature/x')
        assert DeclarativePipeline.globMatches('**', 'feature/x')
        assert DeclarativePipeline.globMatches('PR-?', 'PR-7')
        assert !DeclarativePipeline.globMatches('PR-?', 'PR-17')
        assert !DeclarativePipeline.globMatches('main', null)
        assert !DeclarativePipeline.globMatches('', 'main')
        assert DeclarativePipeline.globMatches('', '')
    }
}
