/** The queue file (lib/queues/config.ts, file.ts): every problem at once, each naming its queue and field. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_QUEUE, parseQueueFile, type Queue, shareOf } from '../../../lib/queues/config';
import { loadQueueFile } from '../../../lib/queues/file';

function problemsOf(document: unknown) {
  const result = parseQueueFile(document);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.queues)}`);
  return result.problems;
}

describe('a valid queue file', () => {
  it('gives each queue with its settings, and a default queue with no limit', () => {
    const result = parseQueueFile({
      queues: {
        nightly: { maxConcurrentRuns: 2, maxQueuedSeconds: 3600, cluster: 'batch' },
        shared: {
          maxConcurrentRuns: 10,
          capacity: { waitSeconds: 60 },
          fairShare: {
            shareDistribution: [{ shareIdentifier: 'team_a' }, { shareIdentifier: 'etl*', weightFactor: 0.5 }],
          },
        },
      },
    });
    expect(result).toEqual({
      ok: true,
      queues: [
        { name: DEFAULT_QUEUE },
        { name: 'nightly', maxConcurrentRuns: 2, maxQueuedSeconds: 3600, cluster: 'batch' },
        {
          name: 'shared',
          maxConcurrentRuns: 10,
          capacity: { waitSeconds: 60 },
          fairShare: {
            shareDistribution: [
              { shareIdentifier: 'team_a', weightFactor: 1 },
              { shareIdentifier: 'etl*', weightFactor: 0.5 },
            ],
          },
        },
      ],
    });
  });

  it.each([
    ['an empty file', null],
    ['no queues', { queues: null }],
  ])('has the default queue alone for %s', (_name, document) => {
    expect(parseQueueFile(document)).toEqual({ ok: true, queues: [{ name: DEFAULT_QUEUE }] });
  });

  it('keeps a default queue the file limits', () => {
    expect(parseQueueFile({ queues: { default: { maxConcurrentRuns: 5 } } })).toEqual({
      ok: true,
      queues: [{ name: DEFAULT_QUEUE, maxConcurrentRuns: 5 }],
    });
  });

  it('takes a queue with no settings (no limit)', () => {
    expect(parseQueueFile({ queues: { open: null } })).toEqual({
      ok: true,
      queues: [{ name: DEFAULT_QUEUE }, { name: 'open' }],
    });
  });
});

describe('an invalid queue file', () => {
  it.each([
    ['a name with a space', { 'bad name': {} }, 'bad name', '$', 'A queue name is 1 to 128 letters'],
    ['a name of 129 characters', { ['q'.repeat(129)]: {} }, 'q'.repeat(129), '$', 'A queue name is 1 to 128'],
    ['maxConcurrentRuns 0', { q: { maxConcurrentRuns: 0 } }, 'q', '$.maxConcurrentRuns', 'from 1 to 10000'],
    ['maxConcurrentRuns 1.5', { q: { maxConcurrentRuns: 1.5 } }, 'q', '$.maxConcurrentRuns', 'an integer'],
    ['maxConcurrentRuns as text', { q: { maxConcurrentRuns: 'two' } }, 'q', '$.maxConcurrentRuns', 'an integer'],
    ['maxQueuedSeconds 0', { q: { maxQueuedSeconds: 0 } }, 'q', '$.maxQueuedSeconds', 'from 1 to 604800'],
    ['a bad cluster', { q: { cluster: 'a b' } }, 'q', '$.cluster', 'cluster must be a cluster name'],
    [
      'an interval of 0',
      { q: { capacity: { checkIntervalSeconds: 0 } } },
      'q',
      '$.capacity.checkIntervalSeconds',
      'from 1 to 3600',
    ],
    [
      'a misspelt field',
      { q: { maxConcurentRuns: 2 } },
      'q',
      '$.maxConcurentRuns',
      'Unknown parameter "maxConcurentRuns".',
    ],
    [
      'no shares',
      { q: { fairShare: { shareDistribution: [] } } },
      'q',
      '$.fairShare.shareDistribution',
      'at least one share',
    ],
    [
      'a share identifier with a space',
      { q: { fairShare: { shareDistribution: [{ shareIdentifier: 'a b' }] } } },
      'q',
      '$.fairShare.shareDistribution[0].shareIdentifier',
      'may end with * to match a prefix',
    ],
    [
      'a * inside a share identifier',
      { q: { fairShare: { shareDistribution: [{ shareIdentifier: 'a*b' }] } } },
      'q',
      '$.fairShare.shareDistribution[0].shareIdentifier',
      'may end with *',
    ],
    [
      'a weightFactor of 0',
      { q: { fairShare: { shareDistribution: [{ shareIdentifier: 'a', weightFactor: 0 }] } } },
      'q',
      '$.fairShare.shareDistribution[0].weightFactor',
      'from 0.0001 to 999.9999',
    ],
    [
      'a share twice',
      { q: { fairShare: { shareDistribution: [{ shareIdentifier: 'a' }, { shareIdentifier: 'a' }] } } },
      'q',
      '$.fairShare.shareDistribution[1].shareIdentifier',
      'is already in shareDistribution[0]',
    ],
  ])('names the queue and the field for %s', (_name, queues, queue, fieldPath, message) => {
    expect(problemsOf({ queues })).toEqual([
      expect.objectContaining({ queue, path: fieldPath, message: expect.stringContaining(message) }),
    ]);
  });

  it('reports every problem of every queue at once', () => {
    const problems = problemsOf({ queues: { a: { maxConcurrentRuns: 0 }, b: { maxQueuedSeconds: -1 }, c: {} } });
    expect(problems.map((p) => `${p.queue} ${p.path}`)).toEqual(['a $.maxConcurrentRuns', 'b $.maxQueuedSeconds']);
  });

  it('refuses a file that is not a mapping with queues', () => {
    expect(problemsOf(['nightly'])).toEqual([
      { path: '$', message: 'The queue file must be a mapping with `queues:`.' },
    ]);
    expect(problemsOf({ queue: {} })[0]).toMatchObject({ path: '$.queue' });
  });
});

describe('the share of a run', () => {
  const queue: Queue = {
    name: 'q',
    fairShare: {
      shareDistribution: [
        { shareIdentifier: 'etl*', weightFactor: 2 },
        { shareIdentifier: 'etl_daily*', weightFactor: 1 },
        { shareIdentifier: 'etl_daily', weightFactor: 0.5 },
      ],
    },
  };
  it.each([
    ['etl_daily', 'etl_daily'],
    ['etl_daily_eu', 'etl_daily*'],
    ['etl_weekly', 'etl*'],
    ['reports', undefined],
  ])('of %s is %s (exact first, else the longest prefix)', (identifier, share) => {
    expect(shareOf(queue, identifier)?.shareIdentifier).toBe(share);
  });
});

describe('reading the file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-queues-'));

  it('names the file and the queue when it is not valid', () => {
    const file = path.join(dir, 'bad.yml');
    writeFileSync(file, 'queues:\n  nightly:\n    maxConcurrentRuns: 0\n');
    expect(() => loadQueueFile(file)).toThrow(
      `Queue file ${file} is not valid:\nqueue "nightly" at $.maxConcurrentRuns: maxConcurrentRuns must be an integer from 1 to 10000.`,
    );
  });

  it('says when the file is missing or not YAML', () => {
    expect(() => loadQueueFile(path.join(dir, 'none.yml'))).toThrow(/^Queue file .*none\.yml: not found$/);
    const file = path.join(dir, 'broken.yml');
    writeFileSync(file, 'queues: [\n');
    expect(() => loadQueueFile(file)).toThrow(/^Queue file .*broken\.yml: /);
  });

  it('gives the queues of a valid file', () => {
    const file = path.join(dir, 'good.yml');
    writeFileSync(file, 'queues:\n  nightly:\n    maxConcurrentRuns: 2\n');
    expect(loadQueueFile(file)).toEqual([{ name: DEFAULT_QUEUE }, { name: 'nightly', maxConcurrentRuns: 2 }]);
  });
});
