/**
 * The state machine definitions of this folder, with their `${Name}` placeholders filled: the one
 * place that says what each placeholder is, for AWS (serverless.yml loads `runTaskDefinition`) and
 * for `npm start` (local/workflows.ts calls `loadDefinition` with local values). It lives with the
 * definitions, so neither deploy/ nor local/ reaches into the other for it. Plain CommonJS, as
 * serverless requires it; its types are in definitions.d.ts.
 *
 * serverless-step-functions has no DefinitionSubstitutions, and the framework would try to resolve
 * `${...}` in a file it loads itself, so the file is read here as plain text and each placeholder
 * (a whole string value) is replaced by its value, which may be a CloudFormation intrinsic
 * (`Fn::GetAtt`): serverless-step-functions turns those into an `Fn::Sub` of the definition.
 */
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const WORKFLOWS = __dirname;
const PLACEHOLDER = /^\$\{([A-Za-z][A-Za-z0-9]*)\}$/;

/** The placeholders of workflows/run-task.asl.yaml and the serverless.yml function each names. */
const RUN_TASK_FUNCTIONS = {
  EnterQueueFunctionArn: 'enterQueue',
  CheckCapacityFunctionArn: 'checkCapacity',
  DecideRetryFunctionArn: 'decideRetry',
};

function fill(node, values, file) {
  if (typeof node === 'string') {
    const match = PLACEHOLDER.exec(node);
    if (match === null) {
      if (node.includes('${')) throw new Error(`${file}: a placeholder must be a whole value: "${node}"`);
      return node;
    }
    if (!Object.hasOwn(values, match[1])) throw new Error(`${file}: no value for placeholder \${${match[1]}}`);
    return values[match[1]];
  }
  if (Array.isArray(node)) return node.map((item) => fill(item, values, file));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, fill(value, values, file)]));
  }
  return node;
}

/** Reads workflows/<name>.asl.yaml and fills its placeholders from `values`. */
function loadDefinition(name, values) {
  const file = path.join(WORKFLOWS, `${name}.asl.yaml`);
  const parsed = YAML.parse(fs.readFileSync(file, 'utf8'));
  return fill(parsed, values, path.relative(process.cwd(), file));
}

/** serverless.yml's logical id of a function's Lambda (the framework's naming: upper-cased first letter). */
const lambdaLogicalId = (functionKey) =>
  `${functionKey.charAt(0).toUpperCase()}${functionKey.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}LambdaFunction`;

/** Values for AWS: each function's ARN from the stack. */
function awsRunTaskValues() {
  return Object.fromEntries(
    Object.entries(RUN_TASK_FUNCTIONS).map(([placeholder, fn]) => [
      placeholder,
      { 'Fn::GetAtt': [lambdaLogicalId(fn), 'Arn'] },
    ]),
  );
}

/** Values for the local stack: the names serverless-offline serves the functions under (service-stage-key). */
function localRunTaskValues({ service = 'berth', stage, region, accountId }) {
  return Object.fromEntries(
    Object.entries(RUN_TASK_FUNCTIONS).map(([placeholder, fn]) => [
      placeholder,
      `arn:aws:lambda:${region}:${accountId}:function:${service}-${stage}-${fn}`,
    ]),
  );
}

module.exports = {
  RUN_TASK_FUNCTIONS,
  loadDefinition,
  awsRunTaskValues,
  localRunTaskValues,
  runTaskDefinition: () => loadDefinition('run-task', awsRunTaskValues()),
};
