/**
 * Task definition use cases. Each takes its dependencies first ({ ecs, config }) so tests pass
 * a mocked client and local mode changes only the endpoint the client talks to.
 */
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mapLimited } from './concurrency';
import type { Config } from './config';
import { NotFoundError, PolicyError, ValidationError } from './errors';
import { checkGuardrails } from './guardrails';
import type { FAMILY_STATUSES } from './routes/list-task-definitions';
import { fargateLogViolations, withRunLogDefaults } from './task-definition/log-defaults';
import type { TaskDefinitionInput } from './task-definition/schema';

export interface TaskDefinitionDeps {
  ecs: ECSClient;
  config: Config;
}

/** What the API returns for one revision: ECS's own description, plus its tags when it has any. */
export type TaskDefinitionView = TaskDefinition & { tags?: Tag[] };

export interface FamilySummary {
  family: string;
  latestRevision: number;
  taskDefinitionArn: string;
  status: string;
}

function view(td: TaskDefinition | undefined, tags: Tag[] | undefined): TaskDefinitionView {
  if (td === undefined) throw new Error('ECS answered without a task definition');
  return tags && tags.length > 0 ? { ...td, tags } : td;
}

export function locationOf(td: Pick<TaskDefinition, 'family' | 'revision'>): string {
  return `/task-definitions/${td.family}/${td.revision}`;
}

/**
 * Registers a new revision of a family (validated against ECS's rules at the boundary:
 * lib/routes/register-task-definition.ts).
 * 1. Give containers with no logConfiguration the stage's run logs, unless the stage turned that off
 *    (lib/task-definition/log-defaults.ts), and check Fargate's awslogs requirements (400 in ECS's words).
 * 2. Check the stage's guardrails on the result, the default execution role included (403 naming the rule).
 * 3. Register the normalised definition with ECS.
 */
export async function registerTaskDefinition({ ecs, config }: TaskDefinitionDeps, input: TaskDefinitionInput) {
  const td = config.runLogs === undefined ? input : withRunLogDefaults(input, config.runLogs);
  const invalid = fargateLogViolations(td);
  if (invalid.length > 0) throw new ValidationError(invalid);
  const refused = checkGuardrails(td, config.guardrails);
  if (refused.length > 0) throw new PolicyError(refused);
  const out = await ecs.send(new RegisterTaskDefinitionCommand(td));
  return view(out.taskDefinition, out.tags);
}

/** ECS's answer to a describe of something that does not exist. */
function isUnknownTaskDefinition(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'ClientException' && /unable to describe task definition/i.test(e.message ?? '');
}

async function describe(ecs: ECSClient, taskDefinition: string, notFound: string): Promise<TaskDefinitionView> {
  try {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
    return view(out.taskDefinition, out.tags);
  } catch (err) {
    if (isUnknownTaskDefinition(err)) throw new NotFoundError(notFound);
    throw err;
  }
}

/** The latest ACTIVE revision of a family (404 when it has none). */
export async function getLatestTaskDefinition({ ecs }: Pick<TaskDefinitionDeps, 'ecs'>, family: string) {
  return describe(ecs, family, `Task definition family ${family} has no ACTIVE revision.`);
}

export interface RevisionRef {
  family: string;
  revision: number;
}

/** One revision, ACTIVE or INACTIVE (404 when it was never registered or has been deleted). */
export async function getTaskDefinition({ ecs }: Pick<TaskDefinitionDeps, 'ecs'>, { family, revision }: RevisionRef) {
  return describe(ecs, `${family}:${revision}`, `Task definition ${family}:${revision} does not exist.`);
}

/**
 * Deregisters one revision (it becomes INACTIVE: running tasks keep running, no new ones start).
 * 1. Describe it first, so an unknown revision is a 404 rather than whatever ECS says to a deregister.
 * 2. Deregister it.
 */
export async function deregisterTaskDefinition(deps: Pick<TaskDefinitionDeps, 'ecs'>, ref: RevisionRef) {
  const current = await getTaskDefinition(deps, ref);
  const out = await deps.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: current.taskDefinitionArn }));
  return view(out.taskDefinition, current.tags);
}

type FamilyStatus = (typeof FAMILY_STATUSES)[number];

/** The GET /task-definitions query, validated (lib/routes/list-task-definitions.ts). */
export interface ListFamiliesQuery {
  familyPrefix?: string | undefined;
  status: FamilyStatus;
  limit: number;
  nextToken?: string | undefined;
}

/** Latest revision of a family among those with the given status. */
async function latestOf(ecs: ECSClient, family: string, status: FamilyStatus): Promise<FamilySummary | undefined> {
  if (status === 'ACTIVE') {
    const td = await describe(ecs, family, '').catch((err) => {
      if (err instanceof NotFoundError) return undefined; // deregistered between the two calls
      throw err;
    });
    return (
      td && {
        family,
        latestRevision: td.revision ?? 0,
        taskDefinitionArn: td.taskDefinitionArn ?? '',
        status: 'ACTIVE',
      }
    );
  }
  // ListTaskDefinitions matches by prefix, newest first: skip other families that share the prefix.
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: family,
        sort: 'DESC',
        nextToken,
        ...(status === 'ALL' ? {} : { status }),
      }),
    );
    const arn = page.taskDefinitionArns?.find((a) => a.split('/').pop()?.replace(/:\d+$/, '') === family);
    if (arn !== undefined) {
      const revision = Number(arn.split(':').pop());
      const td = status === 'ALL' ? await describe(ecs, arn, '') : undefined;
      return { family, latestRevision: revision, taskDefinitionArn: arn, status: td?.status ?? status };
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** Families with their latest revision, one page at a time (the page token is ECS's own). */
export async function listTaskDefinitionFamilies({ ecs }: Pick<TaskDefinitionDeps, 'ecs'>, query: ListFamiliesQuery) {
  const { status, limit } = query;
  const page = await ecs
    .send(
      new ListTaskDefinitionFamiliesCommand({
        familyPrefix: query.familyPrefix,
        status,
        maxResults: limit,
        nextToken: query.nextToken,
      }),
    )
    .catch((err: unknown) => {
      // ECS refuses a token it did not issue (or one for other parameters) with InvalidParameterException.
      if (query.nextToken !== undefined && (err as { name?: string })?.name === 'InvalidParameterException') {
        throw new ValidationError([{ path: '$.nextToken', message: (err as Error).message }]);
      }
      throw err;
    });
  const families = await mapLimited(page.families ?? [], 5, (family) => latestOf(ecs, family, status));
  return {
    items: families.filter((f): f is FamilySummary => f !== undefined),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}
