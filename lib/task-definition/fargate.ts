/**
 * Fargate's task sizes: each task cpu allows a set of task memory values (MiB), from
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
 */

export interface FargateMemory {
  allows(memory: number): boolean;
  /** In words, for messages: "512, 1024 or 2048 MiB". */
  description: string;
}

function range(from: number, to: number, step: number): FargateMemory {
  return {
    allows: (memory) => memory >= from && memory <= to && (memory - from) % step === 0,
    description: `${from} to ${to} MiB in steps of ${step}`,
  };
}

const SIZES: ReadonlyMap<number, FargateMemory> = new Map([
  // 256 is the one size whose memory values are not evenly spaced.
  [256, { allows: (memory: number) => [512, 1024, 2048].includes(memory), description: '512, 1024 or 2048 MiB' }],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

export const FARGATE_CPU_VALUES: readonly number[] = [...SIZES.keys()];

/** The memory Fargate allows with this task cpu, or undefined when Fargate has no such cpu. */
export function fargateMemory(cpu: number): FargateMemory | undefined {
  return SIZES.get(cpu);
}
