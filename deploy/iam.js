/**
 * IAM statements for the API functions, resolved when serverless packages the service so that
 * they can depend on stage params: a role may be passed to ECS only if the stage allowlists it,
 * and with no allowlist there is no iam:PassRole statement at all.
 */
const list = (raw) =>
  String(raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

module.exports.apiStatements = async ({ resolveVariable }) => {
  const roles = list(await resolveVariable('param:allowedRoleArns'));
  const stateMachine = await resolveVariable('self:custom.runTaskStateMachineName');
  return [
    {
      // POST /runs starts executions of the run-task state machine; GET /runs lists them.
      Effect: 'Allow',
      Action: ['states:StartExecution', 'states:ListExecutions'],
      Resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${stateMachine}`,
      },
    },
    {
      // GET /runs/{runId} and POST /runs/{runId}/cancel act on that state machine's executions only.
      Effect: 'Allow',
      Action: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'],
      Resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${stateMachine}:*`,
      },
    },
    {
      // ECS task definition actions do not support resource-level permissions.
      Effect: 'Allow',
      Action: [
        'ecs:RegisterTaskDefinition',
        'ecs:DescribeTaskDefinition',
        'ecs:DeregisterTaskDefinition',
        'ecs:ListTaskDefinitions',
        'ecs:ListTaskDefinitionFamilies',
      ],
      Resource: '*',
    },
    {
      // Tags given at registration are applied by RegisterTaskDefinition itself.
      Effect: 'Allow',
      Action: 'ecs:TagResource',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/*' },
      Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    },
    ...(roles.length === 0
      ? []
      : [
          {
            Effect: 'Allow',
            Action: 'iam:PassRole',
            Resource: roles,
            Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
          },
        ]),
  ];
};
