/**
 * Writes ./register-task-definition.json: every shape reachable from ECS's RegisterTaskDefinitionRequest, trimmed
 * from botocore's ECS service model (service-2.json, the JSON form of the model behind
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html) to what validation
 * needs: member names and shapes, required members, enums and the min/max/pattern traits. Documentation is left
 * out; the constraints ECS documents only in prose are in ./overlay.ts. The output is committed, so installing
 * Berth needs no botocore; test/unit/task-definition/model.test.ts checks it is what this makes from the installed
 * model.
 *
 *   npx tsx lib/task-definition/model/generate.ts [path/to/service-2.json[.gz]]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const ROOT_SHAPE = 'RegisterTaskDefinitionRequest';
export const OUTPUT = path.join(__dirname, 'register-task-definition.json');

export interface ModelMember {
  shape: string;
  deprecated?: true;
}

export type ModelShape =
  | { type: 'structure'; members: Record<string, ModelMember>; required?: string[] }
  | { type: 'list'; member: string; min?: number; max?: number }
  | { type: 'map'; key: string; value: string }
  | { type: 'string'; enum?: string[]; min?: number; max?: number; pattern?: string }
  | { type: 'integer'; min?: number; max?: number }
  | { type: 'boolean' };

export interface TrimmedModel {
  /** Where the shapes come from: the service and API version of the model. */
  source: string;
  root: string;
  shapes: Record<string, ModelShape>;
}

interface BotocoreMember {
  shape: string;
  deprecated?: boolean;
  documentation?: string;
}

interface BotocoreShape {
  type: string;
  members?: Record<string, BotocoreMember>;
  required?: string[];
  member?: BotocoreMember;
  key?: BotocoreMember;
  value?: BotocoreMember;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  documentation?: string;
}

export interface BotocoreModel {
  metadata: { serviceId: string; apiVersion: string };
  shapes: Record<string, BotocoreShape>;
}

/** The numeric traits that are present, so the output carries no `undefined` keys. */
function bounds(shape: BotocoreShape): { min?: number; max?: number } {
  return {
    ...(shape.min !== undefined && { min: shape.min }),
    ...(shape.max !== undefined && { max: shape.max }),
  };
}

function trimShape(name: string, shape: BotocoreShape): ModelShape {
  switch (shape.type) {
    case 'structure': {
      const members = Object.fromEntries(
        Object.entries(shape.members ?? {}).map(([member, m]) => [
          member,
          m.deprecated ? { shape: m.shape, deprecated: true as const } : { shape: m.shape },
        ]),
      );
      return shape.required?.length
        ? { type: 'structure', members, required: shape.required }
        : { type: 'structure', members };
    }
    case 'list':
      return { type: 'list', member: shape.member!.shape, ...bounds(shape) };
    case 'map':
      return { type: 'map', key: shape.key!.shape, value: shape.value!.shape };
    case 'string':
      return {
        type: 'string',
        ...(shape.enum && { enum: shape.enum }),
        ...bounds(shape),
        ...(shape.pattern !== undefined && { pattern: shape.pattern }),
      };
    case 'integer':
      return { type: 'integer', ...bounds(shape) };
    case 'boolean':
      return { type: 'boolean' };
    default:
      // A new kind of member (timestamp, double, blob...) needs a schema of its own in schema.ts: fail here, loudly.
      throw new Error(`Shape ${name} has type ${shape.type}, which the task definition schema does not handle.`);
  }
}

/** The shapes reachable from RegisterTaskDefinitionRequest, in the order a depth-first walk meets them. */
export function trimModel(model: BotocoreModel): TrimmedModel {
  const shapes: Record<string, ModelShape> = {};
  const visit = (name: string) => {
    if (name in shapes) return;
    const shape = model.shapes[name];
    if (shape === undefined) throw new Error(`The model has no shape ${name}.`);
    const trimmed = trimShape(name, shape);
    shapes[name] = trimmed;
    for (const next of [shape.member, shape.key, shape.value, ...Object.values(shape.members ?? {})]) {
      if (next) visit(next.shape);
    }
  };
  visit(ROOT_SHAPE);
  return {
    source: `botocore ${model.metadata.serviceId} ${model.metadata.apiVersion} service-2.json`,
    root: ROOT_SHAPE,
    shapes,
  };
}

/** botocore ships the model as service-2.json or, in recent releases, service-2.json.gz. */
export function readModel(file: string): BotocoreModel {
  const bytes = readFileSync(file);
  return JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8')) as BotocoreModel;
}

/** botocore's data directory: BOTOCORE_DATA_DIR, else the one the python3 on PATH imports, else undefined. */
function botocoreDataDir(): string | undefined {
  if (process.env.BOTOCORE_DATA_DIR) return process.env.BOTOCORE_DATA_DIR;
  try {
    const dir = execFileSync('python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
    return path.join(dir, 'data');
  } catch {
    return undefined;
  }
}

/** The installed ECS model (the newest API version botocore has), or undefined when botocore is not installed. */
export function findInstalledModel(): string | undefined {
  const data = botocoreDataDir();
  const ecs = data && path.join(data, 'ecs');
  if (!ecs || !existsSync(ecs)) return undefined;
  const version = readdirSync(ecs).sort().pop();
  if (version === undefined) return undefined;
  return ['service-2.json', 'service-2.json.gz'].map((f) => path.join(ecs, version, f)).find((f) => existsSync(f));
}

export function render(model: TrimmedModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

if (require.main === module) {
  const file = process.argv[2] ?? findInstalledModel();
  if (file === undefined) {
    console.error('No botocore ECS model found: pass the path of service-2.json, or set BOTOCORE_DATA_DIR.');
    process.exit(1);
  }
  const trimmed = trimModel(readModel(file));
  writeFileSync(OUTPUT, render(trimmed));
  console.log(`${path.relative(process.cwd(), OUTPUT)}: ${Object.keys(trimmed.shapes).length} shapes from ${file}`);
}
