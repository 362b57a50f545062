/**
 * The trigger file (serverless.yml custom.triggersFile, `triggers.yml` by default) as CloudFormation: read and
 * validated when serverless packages the service, by the same TypeScript module `npm start` validates it with
 * (lib/triggers/file.ts, loaded through tsx). Any invalid trigger throws, naming the trigger, so
 * `serverless package` fails and nothing invalid can be deployed.
 *
 * Resources (IAM roles are in deploy/iam.js):
 * - one EventBridge Scheduler schedule per schedule trigger, in the stage's schedule group, named after the
 *   trigger (AWS::Scheduler::Schedule: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html);
 * - one EventBridge rule per event trigger (AWS::Events::Rule) and the permission for it to invoke the Lambda;
 * - every target with a retry policy and the dead-letter queue (TriggersDeadLetterQueue), and the Lambda's
 *   async invocations with a retry limit and that queue as their on-failure destination.
 * (Run events are put by the run record's writer, recordRunEvent: lib/events/run-events.ts.)
 */
const path = require('node:path');
const { stageRunFamilies } = require('./iam');

const ROOT = path.join(__dirname, '..');

/** lib/triggers/, loaded with tsx so the deployed rules are the ones the tests check. */
function libModules() {
  const tsx = require('tsx/cjs/api');
  return {
    file: tsx.require('../lib/triggers/file.ts', __filename),
    targets: tsx.require('../lib/triggers/targets.ts', __filename),
  };
}

/**
 * Reads and validates a trigger file (relative to the service's folder); throws an Error listing every problem,
 * each naming its trigger. Returns the triggers (lib/triggers/config.ts Trigger).
 */
function loadTriggers(file, runFamilies) {
  return libModules().file.loadTriggerFile(path.resolve(ROOT, file), runFamilies === undefined ? {} : { runFamilies });
}

/** A CloudFormation logical id from a trigger name: `nightly-report` -> `NightlyReport`. */
function logicalName(name) {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

const RETRY_POLICY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 };
const DEAD_LETTER = { Arn: { 'Fn::GetAtt': ['TriggersDeadLetterQueue', 'Arn'] } };
const START_FUNCTION = 'StartTriggeredRunLambdaFunction';

async function triggerFile(resolveVariable) {
  return resolveVariable('self:custom.triggersFile');
}

/** The stage's schedule group: schedules are named after their triggers inside it. */
async function scheduleGroupName(resolveVariable) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return `${service}-${stage}`;
}

function invokePermission(functionLogicalId, ruleLogicalId) {
  return {
    Type: 'AWS::Lambda::Permission',
    Properties: {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionLogicalId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleLogicalId, 'Arn'] },
    },
  };
}

/** Lambda's own async retries (after EventBridge delivered), then the dead-letter queue. */
function asyncInvokeConfig(functionLogicalId) {
  return {
    Type: 'AWS::Lambda::EventInvokeConfig',
    Properties: {
      FunctionName: { Ref: functionLogicalId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: DEAD_LETTER.Arn } },
    },
  };
}

module.exports.loadTriggers = loadTriggers;
module.exports.logicalName = logicalName;

module.exports.resources = async ({ resolveVariable }) => {
  const triggers = loadTriggers(await triggerFile(resolveVariable), await stageRunFamilies(resolveVariable));
  const { targets } = libModules();
  const seen = new Map();
  const resources = {
    TriggersDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
    },
    TriggersScheduleGroup: {
      Type: 'AWS::Scheduler::ScheduleGroup',
      Properties: { Name: await scheduleGroupName(resolveVariable) },
    },
    StartTriggeredRunAsyncConfig: asyncInvokeConfig(START_FUNCTION),
  };
  const ruleIds = [];
  for (const trigger of triggers) {
    const id = `Trigger${logicalName(trigger.name)}`;
    if (seen.has(id)) {
      throw new Error(
        `Trigger file: triggers "${seen.get(id)}" and "${trigger.name}" have the same CloudFormation name ${id}; rename one.`,
      );
    }
    seen.set(id, trigger.name);
    const description = `Berth trigger ${trigger.name}${trigger.description ? `: ${trigger.description}` : ''}`.slice(
      0,
      512,
    );
    const state = trigger.enabled ? 'ENABLED' : 'DISABLED';
    if (trigger.type === 'schedule') {
      resources[`${id}Schedule`] = {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          Name: trigger.name,
          GroupName: { Ref: 'TriggersScheduleGroup' },
          Description: description,
          ScheduleExpression: trigger.expression,
          ScheduleExpressionTimezone: trigger.timeZone ?? 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: state,
          Target: {
            Arn: { 'Fn::GetAtt': [START_FUNCTION, 'Arn'] },
            RoleArn: { 'Fn::GetAtt': ['TriggersSchedulerRole', 'Arn'] },
            Input: targets.targetInput(trigger),
            RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
            DeadLetterConfig: DEAD_LETTER,
          },
        },
      };
    } else {
      resources[`${id}Rule`] = {
        Type: 'AWS::Events::Rule',
        Properties: {
          Description: description,
          ...(trigger.eventBusName !== undefined && { EventBusName: trigger.eventBusName }),
          EventPattern: trigger.pattern,
          State: state,
          Targets: [
            {
              Id: 'start-triggered-run',
              Arn: { 'Fn::GetAtt': [START_FUNCTION, 'Arn'] },
              InputTransformer: { InputPathsMap: {}, InputTemplate: targets.targetInput(trigger) },
              RetryPolicy: RETRY_POLICY,
              DeadLetterConfig: DEAD_LETTER,
            },
          ],
        },
      };
      resources[`${id}Permission`] = invokePermission(START_FUNCTION, `${id}Rule`);
      ruleIds.push(`${id}Rule`);
    }
  }
  // EventBridge sends undeliverable events to the queue as the service, for these rules only (none: no policy).
  if (ruleIds.length === 0) return resources;
  resources.TriggersDeadLetterQueuePolicy = {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: 'TriggersDeadLetterQueue' }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: DEAD_LETTER.Arn,
            Condition: { ArnEquals: { 'aws:SourceArn': ruleIds.map((rule) => ({ 'Fn::GetAtt': [rule, 'Arn'] })) } },
          },
        ],
      },
    },
  };
  return resources;
};
