/**
 * The runs table's keys and indexes, shared by the resource (deploy/runs-table.js, which serverless.yml and
 * `npm start` both use) and the readers and writers (lib/runs/run-store.ts), so the names are written once.
 * Plain CommonJS with its types in table-keys.d.ts, like lib/env.js: packaging loads it without a TypeScript loader.
 */

/** Every index sorts by createdAt (ISO-8601, so string order is time order): newest first is ScanIndexForward false. */
const SORT_KEY = 'createdAt';

/** The secondary indexes: which attribute partitions each (see deploy/runs-table.js for why these keys). */
const INDEXES = {
  all: { name: 'byCreated', partitionKey: 'listKey' },
  status: { name: 'byStatus', partitionKey: 'status' },
  family: { name: 'byFamily', partitionKey: 'family' },
  triggerType: { name: 'byTriggerType', partitionKey: 'triggerType' },
  triggerName: { name: 'byTriggerName', partitionKey: 'triggerName' },
  queue: { name: 'byQueue', partitionKey: 'queueName' },
};

/** What a GET /runs item shows, projected into every index so a page is one Query and no other read. */
const SUMMARY_ATTRIBUTES = ['runId', 'status', 'createdAt', 'stoppedAt', 'family', 'trigger'];

module.exports = { TABLE_KEY: 'runId', SORT_KEY, INDEXES, SUMMARY_ATTRIBUTES, EXPIRY_ATTRIBUTE: 'expiresAt' };
