/**
 * Run request templates: the run request of an event trigger may take values from the event that fired it.
 *
 * Syntax (explicit, JSON all the way down, so YAML and JSON trigger files read the same):
 *   {"$event": "$.detail.object.key"}                      the value at that path in the event
 *   {"$event": "$.detail.object.key", "default": "none"}   ... or the default when the event has no value there
 * An object with a `$event` member is a template and takes only `$event` and `default`; it stands for one whole
 * value (a string in an environment variable, a number for `count`, ...), anywhere in the run request. The
 * value is inserted as it is in the event (JSON types kept); the run request is then validated as POST /runs
 * validates a body, so a value of the wrong type is refused naming its place in the request.
 *
 * Paths are the subset of JSONPath that EventBridge's input transformer takes
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html): `$`, then
 * `.name` segments (letters, digits, `_`, `-`, `/`) and `[n]` array indices; and a path must start at one of the
 * fields every event has (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
 * Deliberate deviation: wildcards are refused (a template stands for one value, not a list).
 */

import { jsonPath } from '../task-definition/issues';

export const EVENT_TEMPLATE_KEY = '$event';

/** Top-level fields of every EventBridge event. */
export const EVENT_FIELDS = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
] as const;

export type PathSegment = string | number;

export interface TemplateProblem {
  /** JSONPath of the problem inside the run request. */
  path: string;
  message: string;
}

export interface TemplateRef {
  /** Where the template sits in the run request (JSONPath). */
  at: string;
  eventPath: string;
  segments: PathSegment[];
  default?: unknown;
}

const SEGMENT = /^(?:\.([A-Za-z0-9_\-/]+)|\[([0-9]{1,9})\])/;

/** Parses an event path; throws Error with the reason when it is not one. */
export function parseEventPath(path: string): PathSegment[] {
  if (typeof path !== 'string' || !path.startsWith('$')) {
    throw new Error(`An event path starts with '$' (for example $.detail.object.key), not ${JSON.stringify(path)}.`);
  }
  const segments: PathSegment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (match === null) {
      throw new Error(
        `The event path ${path} is not valid at '${rest}': use .name segments (letters, digits, _ - /) and [n] indices.`,
      );
    }
    segments.push(match[1] !== undefined ? match[1] : Number(match[2]));
    rest = rest.slice(match[0].length);
  }
  if (segments.length === 0) throw new Error(`The event path ${path} names the whole event; name one value in it.`);
  const root = segments[0];
  if (typeof root !== 'string' || !(EVENT_FIELDS as readonly string[]).includes(root)) {
    throw new Error(`The event path ${path} must start at one of the event's fields: ${EVENT_FIELDS.join(', ')}.`);
  }
  return segments;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSONPath of a child, written as POST /runs violations write paths (lib/task-definition/issues.ts). */
const childPath = (at: string, key: string | number) => `${at}${jsonPath([key]).slice(1)}`;

/** Every template in `value`, and the problems of malformed ones. */
export function findTemplates(value: unknown, at = '$'): { refs: TemplateRef[]; problems: TemplateProblem[] } {
  const refs: TemplateRef[] = [];
  const problems: TemplateProblem[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        walk(item, childPath(path, i));
      });
      return;
    }
    if (!isObject(node)) return;
    if (Object.hasOwn(node, EVENT_TEMPLATE_KEY)) {
      const extra = Object.keys(node).filter((k) => k !== EVENT_TEMPLATE_KEY && k !== 'default');
      if (extra.length > 0) {
        problems.push({
          path,
          message: `A {"$event": ...} template takes only "default" besides; not ${extra.join(', ')}.`,
        });
        return;
      }
      const eventPath = node[EVENT_TEMPLATE_KEY];
      try {
        const segments = parseEventPath(eventPath as string);
        refs.push({
          at: path,
          eventPath: eventPath as string,
          segments,
          ...(Object.hasOwn(node, 'default') && { default: node.default }),
        });
      } catch (err) {
        problems.push({ path, message: (err as Error).message });
      }
      return;
    }
    for (const [key, child] of Object.entries(node)) walk(child, childPath(path, key));
  };
  walk(value, at);
  return { refs, problems };
}

/** The value at `segments` in `event`, or undefined when there is none. */
export function readEventPath(event: unknown, segments: readonly PathSegment[]): unknown {
  let node: unknown = event;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[segment];
    } else {
      if (!isObject(node) || !Object.hasOwn(node, segment)) return undefined;
      node = node[segment];
    }
  }
  return node;
}

export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
  constructor(readonly problems: TemplateProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
}

/**
 * The run request with every template replaced by its value from `event`. Throws TemplateResolutionError listing
 * every template that is malformed or whose path has no value (and no default).
 */
export function resolveTemplate(template: unknown, event: unknown): unknown {
  const problems: TemplateProblem[] = [];
  const walk = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => walk(item, childPath(path, i)));
    if (!isObject(node)) return node;
    if (Object.hasOwn(node, EVENT_TEMPLATE_KEY)) {
      const found = findTemplates(node, path);
      if (found.problems.length > 0) {
        problems.push(...found.problems);
        return null;
      }
      const ref = found.refs[0]!;
      const value = readEventPath(event, ref.segments);
      if (value !== undefined) return value;
      if (Object.hasOwn(ref, 'default')) return ref.default;
      problems.push({ path, message: `The event has no value at ${ref.eventPath} and the template has no default.` });
      return null;
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, childPath(path, k))]));
  };
  const out = walk(template, '$');
  if (problems.length > 0) throw new TemplateResolutionError(problems);
  return out;
}
