import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFER_MS, DurableStore, replayJournal } from '../../../local/store';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'berth-store-'));

describe('replayJournal', () => {
  it.each([
    ['puts and deletes in order', '{"put":"a","value":1}\n{"put":"b","value":2}\n{"delete":"a"}\n', { b: 2 }, false],
    ['a later put replaces', '{"put":"a","value":1}\n{"put":"a","value":{"x":[1]}}\n', { a: { x: [1] } }, false],
    ['a torn last line is dropped', '{"put":"a","value":1}\n{"put":"b","val', { a: 1 }, true],
    ['an empty journal', '', {}, false],
  ])('%s', (_name, text, expected, torn) => {
    const into = new Map<string, unknown>();
    expect(replayJournal(text, into).torn).toBe(torn);
    expect(Object.fromEntries(into)).toEqual(expected);
  });

  it.each([
    [
      'a bad line before the last',
      '{"put":"a","value":1}\nnot json\n{"put":"b","value":2}\n',
      /line 2: not a JSON record/,
    ],
    ['a record that is neither put nor delete', '{"get":"a"}\n', /line 1: neither a put nor a delete/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => replayJournal(text, new Map())).toThrow(message);
  });
});

describe('DurableStore', () => {
  it('reopens with what was written, drops a torn tail and compacts the journal', async () => {
    const dir = tempDir();
    const store = await DurableStore.open<number>(dir, 'state');
    await Promise.all([store.put('a', 1), store.put('b', 2), store.put('a', 3)]);
    await store.delete('b');
    await store.close();
    appendFileSync(path.join(dir, 'state.jsonl'), '{"put":"c","va'); // a crash in the middle of an append

    const again = await DurableStore.open<number>(dir, 'state');
    expect([...again.entries()]).toEqual([['a', 3]]);
    expect(readFileSync(path.join(dir, 'state.jsonl'), 'utf8')).toBe('{"put":"a","value":3}\n');
    await again.close();
    expect(readdirSync(dir).sort()).toEqual(['state.jsonl']);
  });

  it('refuses to open a corrupt journal', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'state.jsonl'), 'garbage\n{"put":"a","value":1}\n');
    await expect(DurableStore.open(dir, 'state')).rejects.toThrow(/corrupt at line 1/);
  });

  it('shares one fsync among the writes of one turn (group commit)', async () => {
    const store = await DurableStore.open<number>(tempDir(), 'state');
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`k${i}`, i)));
    expect(store.syncCount).toBe(1);
    expect(store.size).toBe(50);
    await store.close();
  });

  it('writes a deferred value with the next batch, only its latest value, after earlier lines of its key', async () => {
    const dir = tempDir();
    const journal = path.join(dir, 'state.jsonl');
    const store = await DurableStore.open<number>(dir, 'state');
    store.putDeferred('t', 1);
    store.putDeferred('t', 2);
    expect(store.get('t')).toBe(2); // reads see it at once
    await store.put('a', 1);
    expect(readFileSync(journal, 'utf8')).toBe('{"put":"a","value":1}\n{"put":"t","value":2}\n');
    expect(store.syncCount).toBe(1);
    const written = store.put('t', 3);
    store.putDeferred('t', 4); // later than the put in the same batch: written after it
    await written;
    expect(readFileSync(journal, 'utf8').split('\n').slice(2)).toEqual([
      '{"put":"t","value":3}',
      '{"put":"t","value":4}',
      '',
    ]);
    store.putDeferred('u', 5);
    await store.put('u', 6); // a put supersedes a deferred value not yet written
    expect(readFileSync(journal, 'utf8').split('\n').slice(4)).toEqual(['{"put":"u","value":6}', '']);
    await store.close();
  });

  it('writes deferred values at durable(), on close, and on its own within DEFER_MS', async () => {
    const dir = tempDir();
    const journal = path.join(dir, 'state.jsonl');
    const store = await DurableStore.open<number>(dir, 'state');
    store.putDeferred('a', 1);
    expect(readFileSync(journal, 'utf8')).toBe('');
    await store.durable();
    expect(readFileSync(journal, 'utf8')).toBe('{"put":"a","value":1}\n');
    store.putDeferred('b', 2);
    // Nobody calls durable(): the timer alone must write it (polled, so a loaded machine only makes it slower).
    const started = Date.now();
    while (!readFileSync(journal, 'utf8').includes('"b"') && Date.now() - started < DEFER_MS + 5000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(readFileSync(journal, 'utf8')).toBe('{"put":"a","value":1}\n{"put":"b","value":2}\n');
    await store.durable();
    expect(store.syncCount).toBe(2);
    store.putDeferred('c', 3);
    await store.close();
    const again = await DurableStore.open<number>(dir, 'state');
    expect(Object.fromEntries(again.entries())).toEqual({ a: 1, b: 2, c: 3 });
    await again.close();
  });

  it('refuses a second open in this process and a state directory a live process holds', async () => {
    const dir = tempDir();
    const store = await DurableStore.open(dir, 'state');
    await expect(DurableStore.open(dir, 'state')).rejects.toThrow(/already open in this process/);
    await store.close();

    writeFileSync(path.join(dir, 'state.lock'), `${process.ppid}\n`); // alive, and not this process
    await expect(DurableStore.open(dir, 'state')).rejects.toThrow(/held by process/);
  });

  it('takes over the lock of a process that is gone', async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(dir, 'state.lock'), `${gone}\n`);
    const store = await DurableStore.open(dir, 'state');
    expect(readFileSync(path.join(dir, 'state.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await store.close();
  });

  it('refuses names that are not plain file names', async () => {
    await expect(DurableStore.open(tempDir(), '../escape')).rejects.toThrow(/store name/);
  });

  it('never lets a value JSON cannot hold into memory', async () => {
    const store = await DurableStore.open<unknown>(tempDir(), 'state');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => store.put('x', cyclic)).toThrow();
    expect(store.has('x')).toBe(false);
    await store.close();
  });
});

describe('DurableStore eviction', () => {
  const evictable = (key: string) => key.startsWith('cold/');

  it('reads an evicted value back from the journal, before and after a reopen and a compaction', async () => {
    const dir = tempDir();
    let store = await DurableStore.open<unknown>(dir, 'state', { evictable });
    const big = { text: 'é'.repeat(300), list: [1, 2, 3] }; // multi-byte text: positions are in bytes
    await Promise.all([store.put('hot', 1), store.put('cold/a', big), store.put('cold/b', { n: 2 })]);
    store.evict('cold/a');
    expect(store.evictedCount).toBe(1);
    expect(store.get('cold/a')).toEqual(big);
    expect(store.get('cold/b')).toEqual({ n: 2 });
    // Written after the eviction: later lines do not move it.
    await store.put('cold/c', { n: 3 });
    store.evict('cold/c');
    expect(store.get('cold/a')).toEqual(big);
    expect(Object.fromEntries(store.entries('cold/'))).toEqual({
      'cold/a': big,
      'cold/b': { n: 2 },
      'cold/c': { n: 3 },
    });
    await store.close();

    store = await DurableStore.open<unknown>(dir, 'state', { evictable });
    expect(store.evictedCount).toBe(0);
    store.evict('cold/a');
    store.evict('cold/c');
    expect(store.evictedCount).toBe(2);
    expect(store.get('cold/a')).toEqual(big);
    expect(store.get('cold/c')).toEqual({ n: 3 });
    expect(store.get('hot')).toBe(1);
    await store.close();
  });

  it('evicts a value still being written once its line is on disk, and keeps the latest put', async () => {
    const store = await DurableStore.open<unknown>(tempDir(), 'state', { evictable });
    const written = store.put('cold/a', { v: 1 });
    store.evict('cold/a');
    expect(store.evictedCount).toBe(0); // its line is not on disk yet
    store.put('cold/a', { v: 2 }).catch(() => {});
    await written;
    expect(store.evictedCount).toBe(1);
    expect(store.get('cold/a')).toEqual({ v: 2 });
    store.putDeferred('cold/d', { v: 'deferred' });
    store.evict('cold/d');
    await store.durable();
    expect(store.evictedCount).toBe(2);
    expect(store.get('cold/d')).toEqual({ v: 'deferred' });
    // Put again: in memory again; deleted: gone.
    await store.put('cold/a', { v: 3 });
    expect(store.evictedCount).toBe(1);
    await store.delete('cold/d');
    expect(store.get('cold/d')).toBeUndefined();
    expect(store.evictedCount).toBe(0);
    await store.close();
  });

  it('refuses to evict a key its rule does not name', async () => {
    const store = await DurableStore.open<unknown>(tempDir(), 'state', { evictable });
    await store.put('hot', 1);
    expect(() => store.evict('hot')).toThrow(/not evictable/);
    await store.close();
  });
});
