/**
 * Numbers as users write them in a task definition, converted to what ECS stores.
 * Task size follows https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html:
 * cpu in CPU units or vCPUs ("1 vCPU" is 1024), memory in MiB or GB ("2 GB" is 2048: ECS reads GB as GiB).
 */

/** ECS's Integer fields are 32-bit; anything outside fails at ECS instead of here. */
export const INT32_MAX = 2_147_483_647;
export const INT32_MIN = -2_147_483_648;

/** EC2 and external tasks take 0.125 to 192 vCPUs; every Fargate size is inside that range. */
export const TASK_CPU_MIN = 128;
export const TASK_CPU_MAX = 196_608;

const CPU_SCALES: Readonly<Record<string, number>> = { '': 1, vcpu: 1024, vcpus: 1024 };
const MEMORY_SCALES: Readonly<Record<string, number>> = { '': 1, mib: 1, mb: 1, gib: 1024, gb: 1024 };

const QUANTITY = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const DIGITS = /^\d+$/;

/** A whole number given as a JSON number or as a string of digits ("100"), as in the example users start from. */
export function parseWholeNumber(value: number | string): number | undefined {
  const n = typeof value === 'number' ? value : DIGITS.test(value) ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A quantity in the given unit scales; fractions are allowed only when they land on a whole number ("0.5 vCPU"). */
function parseQuantity(value: number | string, scales: Readonly<Record<string, number>>): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  const match = QUANTITY.exec(value.trim());
  const scale = match ? scales[match[2]!.toLowerCase()] : undefined;
  if (match === null || scale === undefined) return undefined;
  // Fractions of 1024 written in decimal are exact in binary, so this product has no rounding error.
  const amount = Number(match[1]) * scale;
  return Number.isSafeInteger(amount) ? amount : undefined;
}

/** Task cpu in CPU units, or undefined when it is not a valid ECS task cpu. */
export function parseTaskCpu(value: number | string): number | undefined {
  const units = parseQuantity(value, CPU_SCALES);
  return units !== undefined && units >= TASK_CPU_MIN && units <= TASK_CPU_MAX ? units : undefined;
}

/** Task memory in MiB, or undefined when it is not a valid ECS task memory. */
export function parseTaskMemory(value: number | string): number | undefined {
  const mib = parseQuantity(value, MEMORY_SCALES);
  return mib !== undefined && mib >= 1 && mib <= INT32_MAX ? mib : undefined;
}
