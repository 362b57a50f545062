/**
 * Berth's local CloudWatch Logs: the service the local AWS endpoint serves on the awsJson1_1 protocol with
 * `X-Amz-Target: Logs_20140328.<Operation>`, so `aws logs get-log-events --endpoint-url ...` and the SDK's
 * CloudWatchLogsClient work unmodified. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/Welcome.html
 * Its state: `<stateDir>/logs.jsonl` (groups and streams) and `<stateDir>/logs/` (each stream's events), see
 * models.ts. The local ECS writes containers' output to the same state in this process (openLogStore): one
 * LogStore per state directory, shared, as both stand for one region of one account.
 * Operations it does not implement answer UnknownOperationException (see local/endpoint/server.ts).
 */
import type { ServiceContext, ServiceFactory } from '../endpoint/service';
import { DurableStore } from '../store';
import { logsOperations } from './api';
import { LogStore } from './models';

export const LOGS_TARGET_PREFIX = 'Logs_20140328';

const shared = new Map<string, { store: Promise<LogStore>; users: number }>();

/**
 * The LogStore of a state directory, opened by its first user and closed after its last `release`: the
 * CloudWatch Logs service and the local ECS (which writes containers' output) share it.
 */
export function openLogStore(context: Pick<ServiceContext, 'stateDir' | 'region' | 'accountId'>): {
  store: Promise<LogStore>;
  release(): Promise<void>;
} {
  let entry = shared.get(context.stateDir);
  if (entry === undefined) {
    const opening = (async () => {
      const durable = await DurableStore.open<unknown>(context.stateDir, 'logs');
      try {
        return await LogStore.load(durable, context);
      } catch (err) {
        await durable.close();
        throw err;
      }
    })();
    entry = { store: opening, users: 0 };
    shared.set(context.stateDir, entry);
    opening.catch(() => shared.delete(context.stateDir));
  }
  entry.users++;
  const used = entry;
  let released = false;
  return {
    store: used.store,
    async release() {
      if (released) return;
      released = true;
      used.users--;
      if (used.users > 0) return;
      shared.delete(context.stateDir);
      const store = await used.store.catch(() => undefined);
      await store?.close();
    },
  };
}

export const logsService: ServiceFactory = async (context) => {
  const { store, release } = openLogStore(context);
  let model: LogStore;
  try {
    model = await store;
  } catch (err) {
    await release();
    throw err;
  }
  return {
    name: 'CloudWatch Logs',
    targetPrefix: LOGS_TARGET_PREFIX,
    jsonVersion: '1.1',
    internalErrorCode: 'ServiceUnavailableException',
    operations: new Map(Object.entries(logsOperations(model))),
    close: release,
  };
};
