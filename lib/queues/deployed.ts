/**
 * The stage's queues as the Lambdas see them. Bundles replace this module with the validated queue file as a JSON
 * literal (deploy/esbuild-plugins.js, `queuesAtBuildTime`), so a deployed function never reads the file and the
 * queues it knows are the ones `serverless package` validated; run from source (tests, tsx) the file is read and
 * validated once on load, to the same value. The file is BERTH_QUEUES_FILE, else `queues.yml` in the working
 * directory; none at all means only the `default` queue, with no limit.
 */
import type { Queue } from './config';
import { loadStageQueues } from './file';

export const deployedQueues: readonly Queue[] = loadStageQueues(process.cwd());
