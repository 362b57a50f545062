/**
 * Kept only for lib/client, whose imports move with it to its own folder: the run use cases are one per file
 * (start-run.ts, get-run.ts, list-runs.ts, cancel-run.ts) and these types live in ./types. Delete this file once
 * lib/client imports them from there.
 */
export type { RunRef, RunSummary } from './types';
