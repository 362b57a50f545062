/**
 * lib/runs/run-store.ts changeRecord given the record its caller read already (Check Capacity reads it while it asks
 * ECS): the first write is conditional on that read, so a change made since is kept, the next try made on the record
 * the failed condition answers with (ReturnValuesOnConditionCheckFailure ALL_OLD, as memory-table.ts answers it).
 * A failure without the record (record-events.test.ts's race) reads it again.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '../../../lib/runs/record';
import { capacityChecked, newRecord } from '../../../lib/runs/record-updates';
import { changeRecord, getRecord, type RunStore } from '../../../lib/runs/run-store';
import { ddb, resetTable, table } from './memory-table';

const RUN = 'run-1';
// biome-ignore lint/suspicious/noExplicitAny: the document client is mocked (memory-table.ts).
const store: RunStore = { ddb: ddb as any, config: { tableName: 'runs', retentionDays: 400 } };
const check = capacityChecked(
  1,
  { checkedAt: '2026-12-08T00:00:01.000Z', fits: true, placeableCount: 1, instanceCount: 2 },
  'RUN',
);

beforeEach(() => {
  resetTable();
  const record = newRecord({
    runId: RUN,
    family: 'job',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
    cluster: 'default',
    trigger: { type: 'api' },
    request: {},
    executionInput: {},
    createdAt: new Date('2026-12-08T00:00:00Z'),
    retentionDays: 400,
  });
  table.set(RUN, JSON.parse(JSON.stringify(record)));
});

describe('changeRecord with the record read already', () => {
  it('writes on that read without reading again', async () => {
    const read = getRecord(store, RUN);
    ddb.resetHistory();
    const result = await changeRecord(store, RUN, check, read);
    expect(result).toMatchObject({ found: true, changed: true });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
    expect(table.get(RUN)).toMatchObject({ version: 2, capacity: { fits: true, instanceCount: 2 } });
  });

  it('tries again on the record the failed condition answers with when it changed since, and keeps the change', async () => {
    const read = getRecord(store, RUN);
    await read;
    // The task's RUNNING event is recorded meanwhile.
    const current = table.get(RUN) as RunRecord;
    table.set(RUN, {
      ...current,
      version: current.version + 1,
      status: 'RUNNING',
      startedAt: '2026-12-08T00:00:02.000Z',
    });
    ddb.resetHistory();
    await changeRecord(store, RUN, check, read);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(2);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // The failure carried the record (ALL_OLD): no read.
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(table.get(RUN)).toMatchObject({ version: 3, status: 'RUNNING', capacity: { fits: true } });
  });
});
