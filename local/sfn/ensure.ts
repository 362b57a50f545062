/**
 * `ensureStateMachine`: creates a state machine, or brings an existing one of that name to the given
 * definition and role (CreateStateMachine alone refuses a changed definition with StateMachineAlreadyExists).
 * For `npm start`, which creates the run-task state machine at boot from workflows/; works against any
 * Step Functions endpoint the client points at.
 */
import {
  CreateStateMachineCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  type SFNClient,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';

export interface EnsuredStateMachine {
  stateMachineArn: string;
  /** What had to be done. */
  action: 'created' | 'updated' | 'unchanged';
}

export async function ensureStateMachine(
  sfn: SFNClient,
  name: string,
  definition: string,
  roleArn: string,
): Promise<EnsuredStateMachine> {
  try {
    const created = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn, type: 'STANDARD' }));
    const current = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    if (current.roleArn === roleArn) return { stateMachineArn: created.stateMachineArn!, action: 'created' };
    // CreateStateMachine is idempotent on the definition and ignores the role: the role changed.
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: created.stateMachineArn, roleArn }));
    return { stateMachineArn: created.stateMachineArn!, action: 'updated' };
  } catch (err) {
    if ((err as Error).name !== 'StateMachineAlreadyExists') throw err;
  }
  const stateMachineArn = await stateMachineArnFor(sfn, name);
  await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn }));
  return { stateMachineArn, action: 'updated' };
}

/** The ARN of the machine named `name`, found by listing (the endpoint's account is not known here). */
async function stateMachineArnFor(sfn: SFNClient, name: string): Promise<string> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new Error(`state machine ${name} exists (StateMachineAlreadyExists) but is not listed`);
}
