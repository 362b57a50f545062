/** Types of workflows/definitions.js (see there). */

/** The placeholders of workflows/run-task.asl.yaml and the serverless.yml function each names. */
export const RUN_TASK_FUNCTIONS: Readonly<Record<string, string>>;

/** Reads workflows/<name>.asl.yaml and fills its placeholders from `values`. */
export function loadDefinition(name: string, values: Readonly<Record<string, unknown>>): Record<string, unknown>;

/** Values for AWS: each function's ARN from the stack (`Fn::GetAtt`). */
export function awsRunTaskValues(): Record<string, unknown>;

/** Values for the local stack: the names serverless-offline serves the functions under (service-stage-key). */
export function localRunTaskValues(options: {
  service?: string;
  stage: string;
  region: string;
  accountId: string;
}): Record<string, string>;

/** workflows/run-task.asl.yaml for AWS (serverless.yml stepFunctions definition). */
export function runTaskDefinition(): Record<string, unknown>;
