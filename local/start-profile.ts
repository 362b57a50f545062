/**
 * `npm start -- --profile` (or BERTH_START_PROFILE=1): what `npm start` spends before the API answers, printed as
 * a table once it does. Phases are marked by the launcher (its own steps: the endpoint, the state machine, the
 * tables...) and by serverless-offline's process (local/offline-fix/start-profile.mjs: its preloads, the
 * Framework's variable resolution and plugins, each lifecycle hook, among them the bundling of the functions),
 * on one clock (epoch ms), from the launcher's process start. The launcher then calls the API once
 * (GET /task-definitions?limit=1, a real handler) and marks the first answer: the figure `npm start` is judged by.
 * bench/start reads the table's last line (`ready <ms>`).
 */
import type { Readable } from 'node:stream';

export interface PhaseMark {
  phase: string;
  /** Epoch ms. */
  start: number;
  end: number;
}

/** Whether this start is profiled: `--profile` among the arguments, or BERTH_START_PROFILE=1. */
export function profileRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--profile') || env.BERTH_START_PROFILE === '1';
}

const now = () => performance.timeOrigin + performance.now();

export class StartProfile {
  readonly #marks: PhaseMark[] = [];
  /** Epoch ms at which this process started. */
  readonly origin = performance.timeOrigin;

  /** Marks `phase` from `start` to `end` (epoch ms; default now). */
  mark(phase: string, start: number, end = now()): void {
    this.#marks.push({ phase, start, end });
  }

  /** Runs `step`, marking it as `phase`. */
  async time<T>(phase: string, step: () => Promise<T>): Promise<T> {
    const start = now();
    try {
      return await step();
    } finally {
      this.mark(phase, start);
    }
  }

  /** Takes the JSON lines serverless-offline's process writes (local/offline-fix/start-profile.mjs). */
  follow(stream: Readable, prefix: string): void {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        const parsed = parseMark(line);
        if (parsed !== undefined) this.mark(`${prefix}${parsed.phase}`, parsed.start, parsed.end);
      }
    });
  }

  /** The table: each phase's start and end from this process's start, and how long it took, in ms. */
  render(): string {
    const rows = [...this.#marks].sort((a, b) => a.start - b.start || a.end - b.end);
    const width = Math.max(5, ...rows.map((row) => row.phase.length));
    const ms = (x: number) => String(Math.round(x)).padStart(6);
    const lines = [`${'phase'.padEnd(width)}   start     end    took`];
    for (const row of rows) {
      lines.push(
        `${row.phase.padEnd(width)}  ${ms(row.start - this.origin)}  ${ms(row.end - this.origin)}  ${ms(row.end - row.start)}`,
      );
    }
    const ready = rows.find((row) => row.phase === READY_PHASE);
    if (ready !== undefined) lines.push(`ready ${Math.round(ready.end - this.origin)}`);
    return lines.join('\n');
  }
}

/** The phase that ends when the API first answers. */
export const READY_PHASE = 'first API answer (GET /task-definitions)';

function parseMark(line: string): PhaseMark | undefined {
  try {
    const value = JSON.parse(line) as Partial<PhaseMark>;
    if (typeof value.phase === 'string' && typeof value.start === 'number' && typeof value.end === 'number') {
      return { phase: value.phase, start: value.start, end: value.end };
    }
  } catch {
    // not a mark
  }
  return undefined;
}
