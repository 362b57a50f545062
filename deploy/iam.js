/**
 * IAM statements for the API functions, resolved when serverless packages the service so that
 * they can depend on stage params: a role may be passed to ECS only if the stage allowlists it,
 * and with no allowlist there is no iam:PassRole statement at all.
 */
// The handlers' own reader (lib/env.js): a stage param is the same list here as in the function it is handed to.
const { commaList } = require('../lib/env');

const list = (raw) => commaList(String(raw ?? ''));

/** Passing the stage's allowlisted roles to ECS tasks; with no allowlist, no iam:PassRole statement at all. */
const passRole = (roles) =>
  roles.length === 0
    ? []
    : [
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: roles,
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ];

/**
 * The roles the stage's definitions may name and that the API and the workflow may pass to ECS: the allowlisted
 * ones, and the default execution role for run logs when the stage gives it (param runLogsByDefault). The
 * guardrails treat the default role as allowlisted too (lib/config.ts), so the two lists agree.
 */
async function passableRoles(resolveVariable) {
  const roles = list(await resolveVariable('param:allowedRoleArns'));
  const runLogs =
    String(await resolveVariable('param:runLogsByDefault'))
      .trim()
      .toLowerCase() === 'true';
  return runLogs ? [...roles, await resolveVariable('param:runLogExecutionRoleArn')] : roles;
}

/** The log groups GET /runs/{id}/logs may read: the stage's run log group and param readableLogGroups. */
async function readableLogGroups(resolveVariable) {
  return [
    await resolveVariable('self:custom.runLogGroupName'),
    ...list(await resolveVariable('param:readableLogGroups')),
  ];
}

/** The stage's runFamilies param as a list: what the state machine may RunTask (and deploy/triggers.js checks). */
const runFamilies = async (resolveVariable) => list(await resolveVariable('param:runFamilies'));
module.exports.stageRunFamilies = runFamilies;

/**
 * The API functions: one role each, with only the calls its use case makes (lib/task-definitions.ts,
 * lib/runs/*-run.ts). ECS task definition actions do not support resource-level permissions, so
 * they are on `*`; everything else is scoped to the run-task state machine, its executions, or the
 * run clusters.
 */
module.exports.apiRoles = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const roles = await passableRoles(resolveVariable);
  const stateMachineName = await resolveVariable('self:custom.runTaskStateMachineName');
  const stateMachine = sub('states', `stateMachine:${stateMachineName}`);
  const executions = sub('states', `execution:${stateMachineName}:*`);
  const ecsTaskDefinitions = (...actions) => ({
    Effect: 'Allow',
    Action: actions.map((a) => `ecs:${a}`),
    Resource: '*',
  });
  const onExecutions = (...actions) => ({
    Effect: 'Allow',
    Action: actions.map((a) => `states:${a}`),
    Resource: executions,
  });
  const apiRole = (key, statements) =>
    role(key, 'lambda.amazonaws.com', [...functionBasics(`${service}-${stage}-${key}`), ...statements]);

  return {
    RegisterTaskDefinitionRole: apiRole('registerTaskDefinition', [
      ecsTaskDefinitions('RegisterTaskDefinition'),
      {
        // Tags given at registration are applied by RegisterTaskDefinition itself.
        Effect: 'Allow',
        Action: 'ecs:TagResource',
        Resource: sub('ecs', 'task-definition/*'),
        Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      },
      // A definition may name only the stage's allowlisted roles; with no allowlist, no PassRole at all.
      ...passRole(roles),
    ]),
    GetTaskDefinitionRole: apiRole('getTaskDefinition', [ecsTaskDefinitions('DescribeTaskDefinition')]),
    ListTaskDefinitionsRole: apiRole('listTaskDefinitions', [
      ecsTaskDefinitions('ListTaskDefinitionFamilies', 'ListTaskDefinitions', 'DescribeTaskDefinition'),
    ]),
    DeregisterTaskDefinitionRole: apiRole('deregisterTaskDefinition', [
      ecsTaskDefinitions('DescribeTaskDefinition', 'DeregisterTaskDefinition'),
    ]),
    StartRunRole: apiRole('startRun', [
      // The task definition and the cluster are resolved before anything starts.
      ecsTaskDefinitions('DescribeTaskDefinition'),
      { Effect: 'Allow', Action: 'ecs:DescribeClusters', Resource: await runClusters(resolveVariable) },
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachine },
      // The PENDING record, written before the start; a repeated Idempotency-Key finds it.
      readWriteRecords(),
      admitAtStart(),
    ]),
    // Readers read the table only: no Step Functions call on the read path. A QUEUED run's position: its queue's items.
    GetRunRole: apiRole('getRun', [onRunsTable('GetItem'), readQueues()]),
    ListRunsRole: apiRole('listRuns', [queryRunsIndexes]),
    GetRunLogsRole: apiRole('getRunLogs', [
      // The run's attempts and where each container logs, from its record as GET /runs/{id} reads it.
      onRunsTable('GetItem'),
      {
        // The streams of the stage's run log group and of the groups the stage allows, nothing else.
        Effect: 'Allow',
        Action: 'logs:GetLogEvents',
        Resource: (await readableLogGroups(resolveVariable)).map((group) =>
          sub('logs', `log-group:${group}:log-stream:*`),
        ),
      },
    ]),
    CancelRunRole: apiRole('cancelRun', [onExecutions('StopExecution'), readWriteRecords()]),
    GetOpenApiRole: apiRole('getOpenApi', []),
    GetQueuesRole: apiRole('getQueues', [readQueues()]),
    // Pausing writes the queue's state item; resuming admits.
    PauseQueueRole: apiRole('pauseQueue', admitRuns()),
    ...(await capacityRoles(apiRole, resolveVariable, ecsTaskDefinitions)),
  };
};

/**
 * POST /runs/plan reads what the capacity check reads (the cluster, its container instances, the task definition);
 * GET /clusters/{cluster}/capacity also lists and describes the cluster's tasks. Only on the stage's runClusters.
 */
async function capacityRoles(apiRole, resolveVariable, ecsTaskDefinitions) {
  const clusters = await runClusters(resolveVariable);
  const inClusters = { StringEquals: { 'ecs:cluster': clusters } };
  const instances = [
    { Effect: 'Allow', Action: 'ecs:ListContainerInstances', Resource: clusters },
    {
      Effect: 'Allow',
      Action: 'ecs:DescribeContainerInstances',
      Resource: sub('ecs', 'container-instance/*'),
      Condition: inClusters,
    },
  ];
  return {
    PlanRunRole: apiRole('planRun', [
      ecsTaskDefinitions('DescribeTaskDefinition'),
      { Effect: 'Allow', Action: 'ecs:DescribeClusters', Resource: clusters },
      ...instances,
    ]),
    GetClusterCapacityRole: apiRole('getClusterCapacity', [
      ecsTaskDefinitions('DescribeTaskDefinition'),
      ...instances,
      // ListTasks is authorised on container instances, DescribeTasks on tasks, both by cluster.
      { Effect: 'Allow', Action: 'ecs:ListTasks', Resource: sub('ecs', 'container-instance/*'), Condition: inClusters },
      { Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: sub('ecs', 'task/*'), Condition: inClusters },
    ]),
  };
}

// Each API function's `role` (serverless.yml): an ARN through Fn::Sub, not the logical name, which would
// add a DependsOn the GetAtt already implies (cfn-lint W3005).
for (const key of [
  'registerTaskDefinition',
  'listTaskDefinitions',
  'getTaskDefinition',
  'deregisterTaskDefinition',
  'startRun',
  'listRuns',
  'getRun',
  'getRunLogs',
  'cancelRun',
  'getOpenApi',
  'planRun',
  'getClusterCapacity',
  'getQueues',
  'pauseQueue',
]) {
  const logicalId = `${key[0].toUpperCase()}${key.slice(1)}Role`;
  module.exports[`${key}RoleArn`] = () => ({ 'Fn::Sub': `\${${logicalId}.Arn}` });
}

// ---------------------------------------------------------------------------------------------
// The run-task workflow: the state machine's role and one role per function it calls, each with
// only the actions it makes ("Actions, resources, and condition keys for Amazon ECS" in the
// Service Authorization Reference; "IAM policies for Amazon ECS/Fargate" in the Step Functions
// Developer Guide for what `ecs:runTask.sync` needs).
// ---------------------------------------------------------------------------------------------

/** An Fn::Sub of `arn:<partition>:<service>:<region>:<account>:<rest>`. */
const sub = (service, rest) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${rest}`,
});

/**
 * Actions on the runs table (deploy/runs-table.js): items by key on the table, Query on its indexes only
 * ("Actions, resources, and condition keys for Amazon DynamoDB": Query on an index needs the index's ARN).
 */
const onRunsTable = (...actions) => ({
  Effect: 'Allow',
  Action: actions.map((a) => `dynamodb:${a}`),
  Resource: { 'Fn::GetAtt': ['RunsTable', 'Arn'] },
});
const queryRunsIndexes = {
  Effect: 'Allow',
  Action: 'dynamodb:Query',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
  Resource: { 'Fn::Sub': '${RunsTable.Arn}/index/*' },
};
/** A run's record is read, then written whole on a condition (lib/runs/run-store.ts): GetItem and PutItem. */
const readWriteRecords = () => onRunsTable('GetItem', 'PutItem');
module.exports.onRunsTable = onRunsTable;

/** Actions on the queues table (deploy/queues.js); a transaction needs each of its items' actions. */
const onQueuesTable = (...actions) => ({
  Effect: 'Allow',
  Action: actions.map((a) => `dynamodb:${a}`),
  Resource: { 'Fn::GetAtt': ['QueuesTable', 'Arn'] },
});
const readQueues = () => onQueuesTable('GetItem', 'Query');
/**
 * What admitting runs takes (lib/queues/admit.ts): the queue's items read and changed in transactions, the admitted
 * run's record, and SendTaskSuccess to resume its execution. SendTaskSuccess authorises no resource (the task token
 * names the execution), so its Resource is `*`.
 */
const admitRuns = () => [
  onQueuesTable('GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'),
  readWriteRecords(),
  { Effect: 'Allow', Action: 'states:SendTaskSuccess', Resource: '*' },
];

/**
 * Starting a run of a queue with no limit admits it there and then (lib/queues/admit.ts admitAtStart): the queue's
 * counter updated and the run's slot put in one transaction, the slot deleted again if the run cannot start.
 */
const admitAtStart = () => onQueuesTable('PutItem', 'UpdateItem', 'DeleteItem');

/** The clusters runs may use (param runClusters, else the stage's default cluster) as ARNs. */
async function runClusters(resolveVariable) {
  const names = list(await resolveVariable('param:runClusters'));
  const clusters = names.length > 0 ? names : [await resolveVariable('param:cluster')];
  return clusters.map((c) => (c.startsWith('arn:') ? c : sub('ecs', `cluster/${c}`)));
}

const assumedBy = (service, condition) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sts:AssumeRole',
      ...(condition && { Condition: condition }),
    },
  ],
});

/** A service that acts for a whole account may assume the role only for this account's resources (confused deputy). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
const FOR_THIS_ACCOUNT = { StringEquals: { 'aws:SourceAccount': { 'Fn::Sub': '${AWS::AccountId}' } } };

/** What every function needs: its own log group, and X-Ray (provider.tracing.lambda). */
function functionBasics(functionName) {
  return [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: sub('logs', `log-group:/aws/lambda/${functionName}:*`),
    },
    { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
  ];
}

function role(name, service, statements, condition) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: assumedBy(service, condition),
      Policies: [{ PolicyName: name, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

module.exports.workflowResources = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const clusters = await runClusters(resolveVariable);
  const inClusters = { StringEquals: { 'ecs:cluster': clusters } };
  const families = await runFamilies(resolveVariable);
  const roles = await passableRoles(resolveVariable);
  const runLogGroup = await resolveVariable('self:custom.runLogGroupName');
  const fn = (key) => `${service}-${stage}-${key}`;
  const lambdaArn = (logicalId) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
  const lambdaVersions = (logicalId) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId, 'Arn'] }, ':*']] });

  return {
    // The execution role a definition with no role of its own gets for its default run logs (lib/config.ts): it may
    // push to the stage's run log group only, and only ECS tasks of this account may assume it.
    RunLogsExecutionRole: role(
      'run-logs',
      'ecs-tasks.amazonaws.com',
      [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: sub('logs', `log-group:${runLogGroup}:*`),
        },
      ],
      FOR_THIS_ACCOUNT,
    ),
    RunTaskStateMachineRole: role('run-task-state-machine', 'states.amazonaws.com', [
      {
        // Enter Queue, Check Capacity and Decide Retry, and nothing else.
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [
          lambdaArn('EnterQueueLambdaFunction'),
          lambdaVersions('EnterQueueLambdaFunction'),
          lambdaArn('CheckCapacityLambdaFunction'),
          lambdaVersions('CheckCapacityLambdaFunction'),
          lambdaArn('DecideRetryLambdaFunction'),
          lambdaVersions('DecideRetryLambdaFunction'),
        ],
      },
      // Only the families the API lets the stage register and run (param runFamilies; none: no RunTask at all),
      // only on the stage's clusters.
      ...(families.length > 0
        ? [
            {
              Effect: 'Allow',
              Action: 'ecs:RunTask',
              Resource: families.map((f) => sub('ecs', `task-definition/${f}:*`)),
              Condition: inClusters,
            },
          ]
        : []),
      {
        // RunTask with tags tags the task it creates.
        Effect: 'Allow',
        Action: 'ecs:TagResource',
        Resource: sub('ecs', 'task/*'),
        Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask', 'ecs:cluster': clusters } },
      },
      {
        // .sync watches the task and stops it when the execution is stopped.
        Effect: 'Allow',
        Action: ['ecs:DescribeTasks', 'ecs:StopTask'],
        Resource: sub('ecs', 'task/*'),
        Condition: inClusters,
      },
      {
        // The EventBridge managed rule through which .sync learns that a task stopped.
        Effect: 'Allow',
        Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        Resource: sub('events', 'rule/StepFunctionsGetEventsForECSTaskRule'),
      },
      // The task and execution roles a run's task definition may name.
      ...passRole(roles),
      {
        // Logging to CloudWatch Logs (serverless.yml loggingConfig): the log delivery actions the Step Functions
        // Developer Guide lists ("IAM policies for logging to CloudWatch Logs"); they take no resource-level
        // permissions, so they are on `*`.
        Effect: 'Allow',
        Action: [
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ],
        Resource: '*',
      },
      {
        // X-Ray tracing (serverless.yml tracingConfig), as the Developer Guide's "IAM policies for X-Ray" lists it.
        Effect: 'Allow',
        Action: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        Resource: '*',
      },
    ]),
    // The run waits in its queue: its entry, the admissions it makes, and its record (QUEUED).
    EnterQueueRole: role('enter-queue', 'lambda.amazonaws.com', [...functionBasics(fn('enterQueue')), ...admitRuns()]),
    CheckCapacityRole: role('check-capacity', 'lambda.amazonaws.com', [
      ...functionBasics(fn('checkCapacity')),
      // The check and WAITING_FOR_CAPACITY, in the run's record.
      readWriteRecords(),
      {
        Effect: 'Allow',
        Action: ['ecs:ListContainerInstances', 'ecs:DescribeClusters'],
        Resource: clusters,
      },
      {
        Effect: 'Allow',
        Action: 'ecs:DescribeContainerInstances',
        Resource: sub('ecs', 'container-instance/*'),
        Condition: inClusters,
      },
      {
        // DescribeTaskDefinition does not support resource-level permissions.
        Effect: 'Allow',
        Action: 'ecs:DescribeTaskDefinition',
        Resource: '*',
      },
    ]),
    DecideRetryRole: role('decide-retry', 'lambda.amazonaws.com', [
      ...functionBasics(fn('decideRetry')),
      // The attempt's outcome and the retry decision, in the run's record.
      readWriteRecords(),
      {
        // A timed-out attempt's tasks are found by startedBy and stopped.
        Effect: 'Allow',
        Action: 'ecs:ListTasks',
        Resource: sub('ecs', 'container-instance/*'),
        Condition: inClusters,
      },
      {
        Effect: 'Allow',
        Action: 'ecs:StopTask',
        Resource: sub('ecs', 'task/*'),
        Condition: inClusters,
      },
    ]),
  };
};

// A function's `role` as an Fn::Sub of the role's ARN: given as a logical name or Fn::GetAtt, the
// framework also adds a DependsOn that the GetAtt already implies (cfn-lint W3005).
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
module.exports.checkCapacityRoleArn = () => ({ 'Fn::Sub': '${CheckCapacityRole.Arn}' });
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
module.exports.enterQueueRoleArn = () => ({ 'Fn::Sub': '${EnterQueueRole.Arn}' });
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
module.exports.decideRetryRoleArn = () => ({ 'Fn::Sub': '${DecideRetryRole.Arn}' });

// ---------------------------------------------------------------------------------------------
// Triggers (deploy/triggers.js): the Scheduler's execution role and the startTriggeredRun
// Lambda's role. Scheduler invokes its target and writes its dead-letter queue with the execution role
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role);
// Lambda sends failed async invocations to their destination with the function's own role.
// ---------------------------------------------------------------------------------------------

module.exports.triggerRoles = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const stateMachine = await resolveVariable('self:custom.runTaskStateMachineName');
  const fn = (key) => `${service}-${stage}-${key}`;
  const deadLetter = {
    Effect: 'Allow',
    Action: 'sqs:SendMessage',
    Resource: { 'Fn::GetAtt': ['TriggersDeadLetterQueue', 'Arn'] },
  };
  const executions = sub('states', `execution:${stateMachine}:*`);
  const startFunction = 'StartTriggeredRunLambdaFunction';
  return {
    // Only this account's schedules may use the role.
    TriggersSchedulerRole: role(
      'trigger-schedules',
      'scheduler.amazonaws.com',
      [
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [
            { 'Fn::GetAtt': [startFunction, 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [startFunction, 'Arn'] }, ':*']] },
          ],
        },
        deadLetter,
      ],
      FOR_THIS_ACCOUNT,
    ),
    StartTriggeredRunRole: role('start-triggered-run', 'lambda.amazonaws.com', [
      ...functionBasics(fn('startTriggeredRun')),
      {
        // As POST /runs: write the record (an earlier start of the same firing finds it) and start the run.
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: sub('states', `stateMachine:${stateMachine}`),
      },
      readWriteRecords(),
      {
        // DescribeTaskDefinition does not support resource-level permissions.
        Effect: 'Allow',
        Action: 'ecs:DescribeTaskDefinition',
        Resource: '*',
      },
      // As POST /runs, the run's cluster is resolved before anything starts.
      { Effect: 'Allow', Action: 'ecs:DescribeClusters', Resource: await runClusters(resolveVariable) },
      // concurrencyPolicy (lib/triggers/concurrency-policy.ts): the trigger's runs from the byTriggerName index,
      // and under Replace the cancel of the live ones.
      queryRunsIndexes,
      { Effect: 'Allow', Action: 'states:StopExecution', Resource: executions },
      admitAtStart(),
      deadLetter,
    ]),
  };
};

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
module.exports.startTriggeredRunRoleArn = () => ({ 'Fn::Sub': '${StartTriggeredRunRole.Arn}' });

// ---------------------------------------------------------------------------------------------
// The run record's own writers (serverless.yml recordRunEvent and reconcileRuns): the table's items, and the
// execution calls each makes; the event writer also sends failed invocations to its dead-letter queue.
// ---------------------------------------------------------------------------------------------

module.exports.runRecordRoles = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const stateMachine = await resolveVariable('self:custom.runTaskStateMachineName');
  const fn = (key) => `${service}-${stage}-${key}`;
  const eventBus = await resolveVariable('param:eventBusName');
  const executions = sub('states', `execution:${stateMachine}:*`);
  return {
    RecordRunEventRole: role('record-run-event', 'lambda.amazonaws.com', [
      ...functionBasics(fn('recordRunEvent')),
      readWriteRecords(),
      // The ended run's queue slot is released and the queue admits the next runs.
      ...admitRuns(),
      // Why an execution ended, when its status change event does not say.
      { Effect: 'Allow', Action: 'states:DescribeExecution', Resource: executions },
      // The run event, once the record says how the run ended (lib/events/run-events.ts).
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: sub('events', `event-bus/${eventBus}`) },
      {
        // Lambda's on-failure destination of the async invocations EventBridge makes (deploy/runs-table.js).
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['RunRecordDeadLetterQueue', 'Arn'] },
      },
    ]),
    ReconcileRunsRole: role('reconcile-runs', 'lambda.amazonaws.com', [
      ...functionBasics(fn('reconcileRuns')),
      // PENDING records by the byStatus index, each read and written.
      queryRunsIndexes,
      readWriteRecords(),
      { Effect: 'Allow', Action: 'states:DescribeExecution', Resource: executions },
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: sub('states', `stateMachine:${stateMachine}`) },
      // Slots of ended runs released, and each queue admits.
      ...admitRuns(),
    ]),
  };
};

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
module.exports.recordRunEventRoleArn = () => ({ 'Fn::Sub': '${RecordRunEventRole.Arn}' });
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
module.exports.reconcileRunsRoleArn = () => ({ 'Fn::Sub': '${ReconcileRunsRole.Arn}' });
