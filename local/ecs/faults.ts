/**
 * Faults on demand, for testing how callers retry: off by default, set at start from the environment (see
 * options.ts) and at run time with BerthLocal.PutFaults. Kept in memory only: a restart goes back to the
 * environment's settings.
 * - throttle: a share (`rate`) of ECS calls, optionally only some `operations`, optionally only the next `count`
 *   of them, are answered as AWS answers a throttled call: ThrottlingException, HTTP 400, "Rate exceeded"
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html).
 * - placementFailure: RunTask places nothing and answers `failures[]` with `reason` (e.g. RESOURCE:CPU, AGENT),
 *   for every call or the next `count` calls.
 */
import { InvalidParameterException } from './exceptions';

export interface ThrottleFault {
  /** 0..1: the chance that a matching call is throttled. */
  rate: number;
  /** ECS operation names (RunTask, DescribeTasks, ...); all when absent. */
  operations?: string[];
  /** Throttle only this many more calls, then turn off. */
  count?: number;
}

export interface PlacementFault {
  reason: string;
  /** Fail only this many more RunTask calls, then turn off. */
  count?: number;
}

export interface FaultSettings {
  throttle?: ThrottleFault;
  placementFailure?: PlacementFault;
}

export class Faults {
  private settings: FaultSettings;

  constructor(
    initial: FaultSettings,
    private readonly random: () => number,
  ) {
    this.settings = structuredClone(initial);
  }

  get(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** Replaces every fault: what `next` leaves out is off. */
  put(next: FaultSettings): void {
    this.settings = structuredClone(next);
  }

  /** Whether this call of `operation` is to be throttled (and counts it if so). */
  throttles(operation: string): boolean {
    const t = this.settings.throttle;
    if (t === undefined) return false;
    if (t.operations !== undefined && !t.operations.includes(operation)) return false;
    if (t.rate < 1 && this.random() >= t.rate) return false;
    if (t.count !== undefined) {
      t.count--;
      if (t.count <= 0) delete this.settings.throttle;
    }
    return true;
  }

  /** The reason this RunTask's placement is to fail with, if any (and counts it). */
  placementFailure(): string | undefined {
    const p = this.settings.placementFailure;
    if (p === undefined) return undefined;
    if (p.count !== undefined) {
      p.count--;
      if (p.count <= 0) delete this.settings.placementFailure;
    }
    return p.reason;
  }
}

/** Parses PutFaults' input; every problem is an InvalidParameterException naming the member. */
export function parseFaultSettings(input: Record<string, unknown>): FaultSettings {
  const out: FaultSettings = {};
  for (const key of Object.keys(input)) {
    if (key !== 'throttle' && key !== 'placementFailure') {
      throw new InvalidParameterException(`Unknown parameter '${key}': PutFaults takes throttle and placementFailure.`);
    }
  }
  const throttle = input.throttle;
  if (throttle !== undefined && throttle !== null) {
    const t = object(throttle, 'throttle');
    onlyKeys(t, 'throttle', ['rate', 'operations', 'count']);
    const rate = t.rate ?? 1;
    if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
      throw new InvalidParameterException("'throttle.rate' must be a number greater than 0 and at most 1.");
    }
    const fault: ThrottleFault = { rate };
    if (t.operations !== undefined) {
      if (
        !Array.isArray(t.operations) ||
        t.operations.length === 0 ||
        t.operations.some((o) => typeof o !== 'string')
      ) {
        throw new InvalidParameterException("'throttle.operations' must be a non-empty list of ECS operation names.");
      }
      fault.operations = t.operations as string[];
    }
    if (t.count !== undefined) fault.count = count(t.count, 'throttle.count');
    out.throttle = fault;
  }
  const placement = input.placementFailure;
  if (placement !== undefined && placement !== null) {
    const p = object(placement, 'placementFailure');
    onlyKeys(p, 'placementFailure', ['reason', 'count']);
    if (typeof p.reason !== 'string' || p.reason.trim() === '' || p.reason.length > 1024) {
      throw new InvalidParameterException(
        "'placementFailure.reason' must be a non-empty string of at most 1024 characters, e.g. RESOURCE:CPU.",
      );
    }
    const fault: PlacementFault = { reason: p.reason };
    if (p.count !== undefined) fault.count = count(p.count, 'placementFailure.count');
    out.placementFailure = fault;
  }
  return out;
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidParameterException(`'${name}' must be an object.`);
  }
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, name: string, allowed: string[]) {
  const unknown = Object.keys(value).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new InvalidParameterException(`Unknown parameter '${name}.${unknown}': allowed are ${allowed.join(', ')}.`);
  }
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new InvalidParameterException(`'${name}' must be a whole number from 1 to 1000000.`);
  }
  return value;
}
