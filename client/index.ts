/**
 * `berth/client`: the typed client of Berth's REST API. See docs/client-and-cli.md.
 *
 *   import { BerthClient, PolicyError } from 'berth/client';
 *   const berth = new BerthClient({ baseUrl: process.env.BERTH_API_URL! });
 *   const { runId } = await berth.startRun({ taskDefinition: 'anjana-educative:1' });
 *   const run = await berth.waitForRun(runId, { timeout: 600_000 });
 */
export * from './client';
export * from './errors';
