package switchyard.jenkins

import org.codehaus.groovy.ast.ASTNode
import org.codehaus.groovy.ast.builder.AstBuilder
import org.codehaus.groovy.ast.expr.ArgumentListExpression
import org.codehaus.groovy.ast.expr.BinaryExpression
import org.codehaus.groovy.ast.expr.ClosureExpression
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.GStringExpression
import org.codehaus.groovy.ast.expr.MapExpression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.ast.expr.VariableExpression
import org.codehaus.groovy.ast.stmt.BlockStatement
import org.codehaus.groovy.ast.stmt.ExpressionStatement
import org.codehaus.groovy.ast.stmt.Statement
import org.codehaus.groovy.control.CompilePhase

/**
 * Validates a Declarative Pipeline the way Jenkins does before it runs anything: on the syntax tree
 * of the Jenkinsfile, as pipeline-model-definition's parser and validator do, so a directive is
 * recognised by where it is written, not by what a closure happens to resolve at run time.
 * <ul>
 *   <li>{@code pipeline} holds only known sections, each once; {@code agent} and {@code stages} are required;</li>
 *   <li>a {@code stage} holds only stage sections, and something to run ({@code steps} or {@code stages});
 *       a step written directly in a stage is an "Unknown stage section";</li>
 *   <li>{@code steps} and {@code post} conditions hold steps (method calls) only: other Groovy goes in
 *       {@code script}; declarative sections are not steps;</li>
 *   <li>{@code when}, {@code options}, {@code post}, {@code environment} and {@code input} hold only what
 *       they may, with Jenkins' messages (see its Messages.properties), the offending name quoted.</li>
 * </ul>
 * Every error is collected, then all are thrown at once, like Jenkins' "startup failed" report.
 */
class DeclarativeValidator {

    static final List<String> PIPELINE_SECTIONS = ['agent', 'environment', 'options', 'parameters', 'triggers',
                                                   'tools', 'stages', 'post', 'libraries']
    static final List<String> STAGE_SECTIONS = ['agent', 'environment', 'options', 'when', 'tools', 'input',
                                                'steps', 'post', 'stages', 'parallel', 'matrix', 'failFast']
    static final List<String> AGENT_TYPES = ['any', 'none', 'label', 'node', 'docker', 'dockerfile', 'kubernetes']
    static final List<String> PIPELINE_OPTIONS = ['buildDiscarder', 'checkoutToSubdirectory', 'disableConcurrentBuilds',
                                                  'disableResume', 'durabilityHint', 'newContainerPerStage',
                                                  'overrideIndexTriggers', 'parallelsAlwaysFailFast', 'preserveStashes',
                                                  'quietPeriod', 'retry', 'skipDefaultCheckout',
                                                  'skipStagesAfterUnstable', 'timeout', 'timestamps']
    static final List<String> STAGE_OPTIONS = ['retry', 'skipDefaultCheckout', 'timeout', 'timestamps']
    static final List<String> CONDITIONS = ['always', 'changed', 'fixed', 'regression', 'aborted', 'success',
                                            'unsuccessful', 'unstable', 'failure', 'notBuilt', 'cleanup']
    static final List<String> WHEN_CONDITIONS = ['allOf', 'anyOf', 'not', 'branch', 'buildingTag', 'changeRequest',
                                                 'changelog', 'changeset', 'environment', 'equals', 'expression',
                                                 'tag', 'triggeredBy', 'beforeAgent', 'beforeInput', 'beforeOptions']
    static final List<String> INPUT_FIELDS = ['message', 'id', 'ok', 'submitter', 'submitterParameter', 'parameters']
    /** Names that are declarative sections, never steps. */
    static final List<String> NOT_STEPS = ['pipeline', 'stages', 'stage', 'steps', 'agent', 'when', 'post',
                                           'options', 'environment', 'tools', 'triggers', 'parameters', 'matrix']

    private final String scriptName
    private final List<String> errors = []

    private DeclarativeValidator(String scriptName) {
        this.scriptName = scriptName
    }

    /** Throws {@link PipelineValidationError} listing every error; does nothing for a scripted pipeline. */
    static void validate(String source, String scriptName) {
        DeclarativeValidator validator = new DeclarativeValidator(scriptName)
        validator.validateScript(source)
        if (!validator.errors.isEmpty()) {
            throw new PipelineValidationError(validator.errors)
        }
    }

    private void validateScript(String source) {
        List<ASTNode> nodes = new AstBuilder().buildFromString(CompilePhase.CONVERSION, true, source)
        BlockStatement top = (BlockStatement) nodes[0]
        List<Statement> pipelines = top.statements.findAll { callOf(it)?.name == 'pipeline' }
        if (pipelines.size() > 1) {
            error(pipelines[1], 'Only one pipeline { ... } block can be defined')
        }
        if (!pipelines.isEmpty()) {
            Call pipeline = callOf(pipelines[0])
            if (pipeline.body == null) {
                error(pipelines[0], 'Expected a block with the "pipeline" step')
            } else {
                validatePipeline(pipelines[0], pipeline.body)
            }
        }
    }

    // ---------------------------------------------------------------- sections

    private void validatePipeline(Statement where, List<Statement> body) {
        Set<String> seen = []
        body.each { Statement statement ->
            Call section = callOf(statement)
            if (section == null) {
                error(statement, "Not a valid section definition: \"${text(statement)}\". Some extra configuration is required.")
                return
            }
            if (!(section.name in PIPELINE_SECTIONS)) {
                error(statement, "Undefined section \"${section.name}\"")
                return
            }
            if (!seen.add(section.name)) {
                error(statement, "Multiple occurrences of the ${section.name} section")
            }
            validateSection(statement, section, PIPELINE_OPTIONS)
        }
        ['agent', 'stages'].each { String required ->
            if (!(required in seen)) {
                error(where, "Missing required section \"${required}\"")
            }
        }
    }

    private void validateSection(Statement statement, Call section, List<String> allowedOptions) {
        switch (section.name) {
            case 'agent':
                validateAgent(statement, section)
                break
            case 'environment':
                validateEnvironment(statement, section)
                break
            case 'options':
                validateOptions(statement, section, allowedOptions)
                break
            case 'stages':
                validateStages(statement, section)
                break
            case 'post':
                validatePost(statement, section)
                break
            case 'when':
                validateWhen(statement, section)
                break
            case 'input':
                validateInput(statement, section)
                break
            case 'steps':
                requireBody(statement, section)
                if (section.body != null && section.body.isEmpty()) {
                    error(statement, 'No steps specified for branch')
                }
                section.body?.each { validateStep(it) }
                break
            default:
                // parameters, triggers, tools, libraries, parallel, matrix, failFast: not modelled further.
                break
        }
    }

    private void validateAgent(Statement statement, Call agent) {
        if (agent.body == null) {
            Expression arg = agent.args.size() == 1 ? agent.args[0] : null
            if (!(arg instanceof VariableExpression) || !(((VariableExpression) arg).name in ['any', 'none'])) {
                error(statement, 'Only "agent none", "agent any" or "agent {...}" are allowed.')
            }
            return
        }
        if (agent.body.size() != 1) {
            error(statement, 'Only one agent type is allowed per agent section')
        }
        agent.body.each { Statement s ->
            Call type = callOf(s)
            if (type == null || !(type.name in AGENT_TYPES)) {
                error(s, "Invalid agent type \"${type?.name ?: text(s)}\" specified. Must be one of ${AGENT_TYPES}")
            }
        }
    }

    private void validateEnvironment(Statement statement, Call environment) {
        if (!requireBody(statement, environment)) {
            return
        }
        if (environment.body.isEmpty()) {
            error(statement, 'No variables specified for environment')
        }
        Set<String> names = []
        environment.body.each { Statement s ->
            Expression e = s instanceof ExpressionStatement ? ((ExpressionStatement) s).expression : null
            if (!(e instanceof BinaryExpression) || ((BinaryExpression) e).operation.text != '=' ||
                    !(((BinaryExpression) e).leftExpression instanceof VariableExpression)) {
                error(s, "\"${text(s)}\" is not a valid environment expression. Use \"key = value\" pairs with valid Java/shell keys.")
                return
            }
            String name = ((VariableExpression) ((BinaryExpression) e).leftExpression).name
            if (!(name ==~ /[A-Za-z_][A-Za-z0-9_]*/)) {
                error(s, "\"${name}\" is not a valid identifier and cannot be used for an environment variable.")
            }
            if (!names.add(name)) {
                error(s, "Duplicate environment variable name: \"${name}\"")
            }
        }
    }

    private void validateOptions(Statement statement, Call options, List<String> allowed) {
        if (!requireBody(statement, options)) {
            return
        }
        Set<String> names = []
        options.body.each { Statement s ->
            Call option = callOf(s)
            if (option == null) {
                error(s, 'Expected an option')
                return
            }
            if (!(option.name in allowed)) {
                error(s, "Invalid option type \"${option.name}\". Valid option types: ${allowed}")
            }
            if (!names.add(option.name)) {
                error(s, "Duplicate option name: \"${option.name}\"")
            }
        }
    }

    private void validateStages(Statement statement, Call stages) {
        if (!requireBody(statement, stages)) {
            return
        }
        if (stages.body.isEmpty()) {
            error(statement, 'No stages specified')
        }
        Set<String> names = []
        stages.body.each { Statement s ->
            Call stage = callOf(s)
            if (stage == null || stage.name != 'stage') {
                error(s, 'Expected a stage')
                return
            }
            String name = stage.args ? constantText(stage.args[0]) : null
            if (name == null) {
                error(s, 'Expected a stage name but didn\'t find any')
            } else if (!names.add(name)) {
                error(s, "Duplicate stage name: \"${name}\"")
            }
            if (stage.body == null) {
                error(s, 'Stage doesn\'t have a block')
                return
            }
            validateStage(s, name, stage.body)
        }
    }

    private void validateStage(Statement where, String name, List<Statement> body) {
        Set<String> seen = []
        body.each { Statement statement ->
            Call section = callOf(statement)
            if (section == null) {
                error(statement, "Not a valid stage section definition: \"${text(statement)}\". Some extra configuration is required.")
                return
            }
            if (!(section.name in STAGE_SECTIONS)) {
                error(statement, "Unknown stage section \"${section.name}\". Starting with version 0.5, steps in a stage must be in a 'steps' block.")
                return
            }
            if (!seen.add(section.name)) {
                error(statement, "Multiple occurrences of the ${section.name} section")
            }
            validateSection(statement, section, STAGE_OPTIONS)
        }
        if (!seen.any { it in ['steps', 'stages', 'parallel', 'matrix'] }) {
            error(where, "No \"steps\" or \"parallel\" to execute within stage \"${name}\"")
        }
        if ('steps' in seen && 'stages' in seen) {
            error(where, "Only one of \"parallel\" or \"steps\" allowed for stage \"${name}\"")
        }
    }

    private void validatePost(Statement statement, Call post) {
        if (!requireBody(statement, post)) {
            return
        }
        if (post.body.isEmpty()) {
            error(statement, 'post can not be empty')
        }
        Set<String> names = []
        post.body.each { Statement s ->
            Call condition = callOf(s)
            if (condition == null || condition.body == null || !(condition.name in CONDITIONS)) {
                error(s, "The 'post' section can only contain build condition names with code blocks. " +
                        "Valid condition names are ${CONDITIONS}" + (condition ? " (found \"${condition.name}\")" : ''))
                return
            }
            if (!names.add(condition.name)) {
                error(s, "Duplicate build condition name: \"${condition.name}\"")
            }
            condition.body.each { validateStep(it) }
        }
    }

    private void validateWhen(Statement statement, Call when) {
        if (!requireBody(statement, when)) {
            return
        }
        if (when.body.isEmpty()) {
            error(statement, 'Empty when closure, remove the property or add some content.')
        }
        when.body.each { validateCondition(it) }
    }

    private void validateCondition(Statement statement) {
        Call condition = callOf(statement)
        if (condition == null || !(condition.name in WHEN_CONDITIONS)) {
            error(statement, "Unknown conditional ${condition?.name ?: text(statement)}. Valid conditionals are: ${WHEN_CONDITIONS}")
            return
        }
        switch (condition.name) {
            case 'not':
                if (condition.body == null || condition.body.size() != 1) {
                    error(statement, 'Nested when condition "not" requires exactly 1 child condition(s).')
                }
                condition.body?.each { validateCondition(it) }
                break
            case 'allOf':
            case 'anyOf':
                if (condition.body == null || condition.body.isEmpty()) {
                    error(statement, "Nested when condition \"${condition.name}\" requires at least one child condition.")
                }
                condition.body?.each { validateCondition(it) }
                break
            case 'expression':
                if (condition.body == null) {
                    error(statement, 'Expected a block for expression')
                }
                break
            case 'branch':
                if (condition.args.isEmpty()) {
                    error(statement, 'No argument for field "branch"')
                }
                break
            default:
                break
        }
    }

    private void validateInput(Statement statement, Call input) {
        if (!requireBody(statement, input)) {
            return
        }
        Set<String> fields = []
        input.body.each { Statement s ->
            Call field = callOf(s)
            if (field == null || !(field.name in INPUT_FIELDS)) {
                error(s, "Not a valid field for input: \"${field?.name ?: text(s)}\"")
                return
            }
            fields << field.name
        }
        if (!('message' in fields)) {
            error(statement, 'No message specified for input')
        }
    }

    /** A statement inside {@code steps} or a post condition: a step call; its block holds steps again. */
    private void validateStep(Statement statement) {
        Call step = callOf(statement)
        if (step == null) {
            error(statement, "Expected a step (found \"${text(statement)}\"); other Groovy code belongs in a script { } block")
            return
        }
        if (step.name in NOT_STEPS) {
            error(statement, "Invalid step \"${step.name}\" used - not allowed in this context - " +
                    "it is a declarative section, not a step")
            return
        }
        if (step.name == 'script') {
            return
        }
        step.body?.each { validateStep(it) }
    }

    // ---------------------------------------------------------------- AST helpers

    /** A statement that is a call {@code name(args) { body }} on the script itself. */
    static class Call {
        String name
        List<Expression> args = []
        List<Statement> body
    }

    private static Call callOf(Statement statement) {
        if (!(statement instanceof ExpressionStatement)) {
            return null
        }
        Expression e = ((ExpressionStatement) statement).expression
        if (!(e instanceof MethodCallExpression)) {
            return null
        }
        MethodCallExpression m = (MethodCallExpression) e
        if (!m.implicitThis || m.methodAsString == null) {
            return null
        }
        Call c = new Call(name: m.methodAsString)
        List<Expression> args = m.arguments instanceof TupleExpression ?
                ((TupleExpression) m.arguments).expressions : [m.arguments]
        args.each { Expression arg ->
            if (arg instanceof ClosureExpression) {
                Statement code = ((ClosureExpression) arg).code
                c.body = code instanceof BlockStatement ? ((BlockStatement) code).statements : [code]
            } else if (!(arg instanceof MapExpression && ((MapExpression) arg).mapEntryExpressions.isEmpty())) {
                c.args << arg
            }
        }
        c
    }

    private static String constantText(Expression e) {
        if (e instanceof ConstantExpression) {
            return String.valueOf(((ConstantExpression) e).value)
        }
        if (e instanceof GStringExpression) {
            return ((GStringExpression) e).text
        }
        if (e instanceof ArgumentListExpression && ((ArgumentListExpression) e).expressions.size() == 1) {
            return constantText(((ArgumentListExpression) e).expressions[0])
        }
        null
    }

    private static String text(Statement statement) {
        statement instanceof ExpressionStatement ? ((ExpressionStatement) statement).expression.text : statement.text
    }

    private boolean requireBody(Statement statement, Call section) {
        if (section.body == null) {
            error(statement, "Expected a block for ${section.name}")
            return false
        }
        true
    }

    private void error(ASTNode where, String message) {
        errors << "${scriptName}: ${where.lineNumber}: ${message} @ line ${where.lineNumber}, column ${where.columnNumber}.".toString()
    }
}
