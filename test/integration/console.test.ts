/**
 * The console in a real browser (Debian's Chromium through playwright-core) against the real local stack
 * (`npm start`): start a run from the form and watch it succeed, a failing run's exit code, an instance's bar when a
 * task starts, the placement plan, the task definitions, and the API's validation errors next to the fields.
 * Screenshots of each page go to test-output/console/ (git-ignored). Without /usr/bin/chromium the suite is skipped
 * with a message, except in CI (CI=true), where that is a failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { BerthClient } from '../../client';
import { type Stack, startStack } from './stack';

jest.setTimeout(300_000);

const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const root = path.join(__dirname, '..', '..');
const shots = path.join(root, 'test-output', 'console');
const haveBrowser = existsSync(CHROMIUM);

if (!haveBrowser && process.env.CI === 'true') {
  throw new Error(`CI needs Chromium at ${CHROMIUM} for the console's browser tests (apt-get install -y chromium).`);
}
if (!haveBrowser) {
  console.warn(`Skipping the console's browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium).`);
}
const describeWithBrowser = haveBrowser ? describe : describe.skip;

const example = JSON.parse(readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8'));
const ec2Example = {
  family: 'anjana-ec2',
  requiresCompatibilities: ['EC2' as const],
  networkMode: 'bridge' as const,
  cpu: '1024',
  memory: '1536',
  containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }],
};
/** Eight lines a second apart: long enough to be seen arriving. */
const ticks = 'for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 1; done';
const withEnv = (name: string, value: string) => ({
  containerOverrides: [{ name: 'anjana', environment: [{ name, value }] }],
});

/**
 * The stack's triggers: one event trigger with concurrencyPolicy Forbid, whose firing while its run still goes is
 * recorded SKIPPED. Fired only by the test that puts its events.
 */
const triggersFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-console-triggers-')), 'triggers.yml');
writeFileSync(
  triggersFile,
  `triggers:
  console-forbid:
    concurrencyPolicy: Forbid
    event:
      pattern: { source: [berth.console-test] }
    run:
      taskDefinition: anjana-educative
      overrides:
        containerOverrides: [{ name: anjana, environment: [{ name: BERTH_SIMULATE_SECONDS, value: "60" }] }]
`,
);

let stack: Stack;
let berth: BerthClient;
let browser: BrowserContext;
let page: Page;
const foreignRequests: string[] = [];
/** The origins the page is opened from: the stack's, and `berth console`'s. */
const pageOrigins: string[] = [];

describeWithBrowser('the console in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    stack = await startStack({ env: { BERTH_TRIGGERS_FILE: triggersFile } });
    berth = new BerthClient({ baseUrl: stack.api, maxAttempts: 1 });
    pageOrigins.push(new URL(stack.api).origin);
    await berth.registerTaskDefinition(example);
    await berth.registerTaskDefinition(ec2Example);
    // A fresh profile each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'berth-chromium-')), {
      executablePath: CHROMIUM,
      viewport: { width: 1100, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(60_000);
    // Nothing may come from another host: every request the page makes stays on the origin that served it.
    page.on('request', (request) => {
      if (!pageOrigins.includes(new URL(request.url()).origin)) foreignRequests.push(request.url());
    });
  });

  afterEach(() => {
    expect(foreignRequests).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.kill();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  it('starts a run from the form and shows it going to SUCCEEDED with exit code 0', async () => {
    await page.goto(`${stack.api}/console#/start`);
    await page.getByLabel('Task definition').fill('anjana-educative:1');
    await shot('start-form');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/[^/]+$/);
    await expectText('#run-status', 'SUCCEEDED');
    await expectText('td.exit-code', '0');
    // The simulated container's line, read from the run's logs, and the follower stopped at their end.
    await expectText('#run-logs .log-message', '[berth] simulated container anjana (image someimage)');
    await page.locator('section.logs[data-state="done"]').waitFor();
    await shot('run-succeeded');
    await page.goto(`${stack.api}/console#/runs`);
    await page.locator('table.runs tbody a').first().waitFor();
    await shot('runs');
  });

  it('shows the API’s validation errors next to the fields, in words', async () => {
    await page.goto(`${stack.api}/console#/start`);
    await page.getByLabel('Task definition').fill('anjana-educative:1');
    await page.getByLabel('Count').fill('11');
    await page.getByLabel('Timeout per attempt (seconds)').fill('0');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expectText('#count-error', "'count' must be an integer from 1 to 10.");
    await expectText('#timeoutSeconds-error', "'timeoutSeconds' must be an integer from 1");
    expect(await page.evaluate('document.activeElement?.id')).toBe('count');
    await shot('start-form-errors');
  });

  it('opens a failing run and shows its exit code, each retry decision, its log line, the failure standing out in the list', async () => {
    const { runId } = await berth.startRun({
      taskDefinition: 'anjana-educative:1',
      overrides: withEnv('BERTH_SIMULATE_EXIT_CODE', '3'),
      retry: { attempts: 2 },
    });
    await page.goto(`${stack.api}/console#/runs/${runId}`);
    await expectText('#run-status', 'FAILED');
    await expectText('[data-attempt="1"] .retry', 'Retried: ');
    await expectText('[data-attempt="2"] .retry', 'Not retried: ');
    await expectText('[data-attempt="2"] tr.failed td.exit-code', '3');
    // The logs follow the last attempt; the first one's are a choice away.
    await expectText('#run-logs .log-attempt', 'Attempt 2');
    await expectText('#run-logs .log-message', 'exits with code 3');
    await page.locator('section.logs[data-state="done"]').waitFor();
    await page.getByLabel('Attempt', { exact: true }).selectOption('1');
    await expectText('#run-logs .log-attempt', 'Attempt 1');
    await page.locator('section.logs[data-state="done"]').waitFor();
    expect(await page.locator('#run-logs .log-attempt').allTextContents()).toEqual(['Attempt 1']);
    await shot('run-failed');
    await page.goto(`${stack.api}/console#/runs`);
    await page.locator(`tr.failed a:text-is("${runId}")`).waitFor();
  });

  it("streams a run's logs while it runs, per container, and stops reading once the run has finished", async () => {
    await berth.registerTaskDefinition({
      family: 'console-logs',
      containerDefinitions: [
        { name: 'ticker', image: 'busybox', memory: 64, command: ['sh', '-c', ticks] },
        {
          name: 'sidecar',
          image: 'busybox',
          memory: 64,
          essential: false,
          command: ['sh', '-c', 'echo sidecar says hello'],
        },
      ],
    });
    const logRequests: Array<{ url: URL; at: number }> = [];
    const onRequest = (request: { url(): string }) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/logs')) logRequests.push({ url, at: Date.now() });
    };
    page.on('request', onRequest);
    try {
      const { runId } = await berth.startRun({ taskDefinition: 'console-logs' });
      await page.goto(`${stack.api}/console#/runs/${runId}`);
      // The first lines while the run still runs: more are yet to come.
      await expectText('#run-logs .log-message', 'tick 1');
      expect(await page.locator('#run-logs .log-message', { hasText: 'tick 8' }).count()).toBe(0);
      await expectText('#logs-state', 'Following attempt 1 while the run is running');
      await shot('run-logs-streaming');
      await expectText('#run-logs .log-message', 'tick 8');
      await page.locator('section.logs[data-state="done"]').waitFor();
      await expectText('#run-status', 'SUCCEEDED');
      const messages = await page.locator('#run-logs .log-message').allTextContents();
      expect(messages).toEqual(Array.from({ length: 8 }, (_, i) => `tick ${i + 1}`));
      expect(await page.locator('#run-logs .log-container').first().textContent()).toBe('ticker');
      const doneAt = Date.now();
      // The essential container by default; the sidecar on its own when chosen.
      await page.getByLabel('Container').selectOption('sidecar');
      await expectText('#run-logs .log-message', 'sidecar says hello');
      await page.locator('section.logs[data-state="done"]').waitFor();
      await shot('run-logs-sidecar');
      // Once finished and read to the end, the default follower asked nothing more.
      expect(logRequests.filter((r) => r.at > doneAt && !r.url.searchParams.has('container'))).toEqual([]);
      expect(logRequests.some((r) => r.url.searchParams.get('container') === 'sidecar')).toBe(true);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('filters the runs by family and trigger, live, and the failures stand out', async () => {
    await page.goto(`${stack.api}/console#/runs`);
    await page.getByLabel('Family').fill('anjana-ec2');
    await page.getByLabel('Family').press('Enter');
    await page.waitForURL(/#\/runs\?family=anjana-ec2$/);
    // A run started while the filtered list is shown appears without a reload.
    const { runId } = await berth.startRun({
      taskDefinition: 'anjana-ec2',
      overrides: withEnv('BERTH_SIMULATE_EXIT_CODE', '4'),
    });
    await page.locator(`tr.failed a:text-is("${runId}")`).waitFor();
    const families = await page.locator('table.runs tbody tr td:nth-child(3)').allTextContents();
    expect(new Set(families)).toEqual(new Set(['anjana-ec2']));
    await shot('runs-by-family');
    await page.getByLabel('Trigger').fill('api');
    await page.getByLabel('Trigger').press('Enter');
    await page.waitForURL(/#\/runs\?trigger=api$/);
    // The address changes first; the list and its form are drawn again once the filtered runs are read.
    await until(
      'the family filter to clear',
      () => page.getByLabel('Family').inputValue(),
      (value) => value === '',
    );
    await page.locator(`a:text-is("${runId}")`).waitFor();
    await page.getByLabel('Status').selectOption('SUCCEEDED');
    await page.waitForURL(/#\/runs\?status=SUCCEEDED$/);
    await page.locator('table.runs tbody a').first().waitFor();
    expect(await page.locator(`a:text-is("${runId}")`).count()).toBe(0);
    const statuses = await page.locator('table.runs tbody .badge').allTextContents();
    expect(new Set(statuses)).toEqual(new Set(['SUCCEEDED']));
    // Older runs page by page (the API's token in the address), and back to the newest.
    await page.goto(`${stack.api}/console#/runs?limit=2`);
    await page.locator('table.runs tbody a').nth(1).waitFor();
    const newest = await page.locator('table.runs tbody td:first-child a').allTextContents();
    await page.getByRole('link', { name: 'Older runs →' }).click();
    await page.waitForURL(/#\/runs\?limit=2&from=/);
    await page.getByRole('link', { name: '← Newest runs' }).waitFor();
    const older = await page.locator('table.runs tbody td:first-child a').allTextContents();
    expect(older).toHaveLength(2);
    expect(older.filter((id) => newest.includes(id))).toEqual([]);
    await page.getByRole('link', { name: '← Newest runs' }).click();
    await page.waitForURL(/#\/runs\?limit=2$/);
  });

  it('pauses a queue: a run started into it from the form waits QUEUED, first in line, and runs once it is resumed', async () => {
    await page.goto(`${stack.api}/console#/queues`);
    const card = page.locator('article[data-queue="default"]');
    await card.getByRole('button', { name: 'Pause default' }).click();
    await card.locator('.badge', { hasText: 'PAUSED' }).waitFor();
    // The button's focus survives the card's refresh.
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Resume default');
    await shot('queues-paused');
    await page.goto(`${stack.api}/console#/start`);
    await page.getByLabel('Task definition').fill('anjana-educative:1');
    await page.getByLabel('Queue', { exact: true }).fill('default');
    await page.getByLabel('Priority').fill('7');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('/').pop() ?? '');
    await expectText('#run-status', 'QUEUED');
    await expectText('#run-queue', 'default');
    await expectText('#queue-position', '1: next to be admitted');
    await shot('run-queued');
    await page.goto(`${stack.api}/console#/runs?queue=default`);
    await page.locator(`a:text-is("${runId}")`).waitFor();
    expect(await page.getByLabel('Queue').inputValue()).toBe('default');
    await page.goto(`${stack.api}/console#/queues`);
    await card.locator('.queue-queued', { hasText: /^1$/ }).waitFor();
    await card.getByRole('button', { name: 'Resume default' }).click();
    await card.locator('.badge', { hasText: 'ADMITTING' }).waitFor();
    await shot('queues');
    await page.goto(`${stack.api}/console#/runs/${runId}`);
    await expectText('#run-status', 'SUCCEEDED');
    await expectText('#run-queue', 'Admitted');
  });

  it('shows a firing skipped by concurrencyPolicy Forbid as SKIPPED, muted, with the run it would have overlapped', async () => {
    const events = new EventBridgeClient({
      endpoint: stack.aws,
      region: 'us-east-1',
      credentials: { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' },
    });
    const fire = async () => {
      const out = await events.send(
        new PutEventsCommand({ Entries: [{ Source: 'berth.console-test', DetailType: 'Tick', Detail: '{}' }] }),
      );
      expect(out.FailedEntryCount).toBe(0);
    };
    const runsOfTrigger = async () => (await berth.listRuns({ trigger: 'console-forbid' })).items;
    await fire();
    const first = await until('the first firing to make a run', runsOfTrigger, (items) => items.length === 1);
    await fire();
    const both = await until('the second firing to be skipped', runsOfTrigger, (items) =>
      items.some((run) => run.status === 'SKIPPED'),
    );
    const skipped = both.find((run) => run.status === 'SKIPPED')!;
    await page.goto(`${stack.api}/console#/runs?trigger=console-forbid`);
    const row = page.locator('tr', { has: page.locator(`a:text-is("${skipped.runId}")`) });
    await row.waitFor();
    expect(await row.getAttribute('class')).toBe('skipped');
    await row.getByRole('link').click();
    await expectText('#run-status', 'SKIPPED');
    await expectText('#run-skipped', 'concurrencyPolicy Forbid');
    await expectText('#logs-state', 'No output: no attempt ran (the run was skipped).');
    expect(await page.locator('#run-queue').count()).toBe(0);
    await shot('run-skipped');
    await page.getByRole('link', { name: 'Open the run it would have overlapped' }).click();
    await page.waitForURL(new RegExp(`#/runs/${first[0]!.runId}$`));
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expectText('#run-status', 'CANCELLED');
  });

  it("shows an instance's bar grow when a run's task starts on it", async () => {
    await page.goto(`${stack.api}/console#/cluster`);
    const runsBar = page.locator('.totals .bar-row').first().locator('.seg.runs');
    await runsBar.waitFor({ state: 'attached' });
    expect(await widthOf(runsBar)).toBe(0);
    await shot('cluster-idle');
    const { runId } = await berth.startRun({
      taskDefinition: 'anjana-ec2',
      overrides: withEnv('BERTH_SIMULATE_SECONDS', '30'),
    });
    // The task holds 1024 of the instance's 2048 CPU units: half the bar.
    await page.locator('.instance .bar-row .seg.runs[style*="width: 50"]').first().waitFor();
    await page.locator(`.instance a:text-is("run ${runId}")`).waitFor();
    await shot('cluster-busy');
    await berth.cancelRun(runId);
  });

  it('plans a task definition and count on the cluster page', async () => {
    await page.goto(`${stack.api}/console#/cluster`);
    await page.locator('#plan-td').fill('anjana-ec2:1');
    await page.locator('#plan-count').fill('7');
    await page.keyboard.press('Enter');
    await expectText('#plan-result', '6 of 7 tasks fit now');
    await expectText('#plan-result', 'no instance has room');
    await expectText('#plan-result', 'needs 1024 CPU units, 0 left');
    await shot('cluster-plan');
  });

  it('shows a run waiting for room, what is short, and cancels it from its page', async () => {
    const { runId } = await berth.startRun({ taskDefinition: 'anjana-ec2:1', count: 7 });
    await page.goto(`${stack.api}/console#/runs/${runId}`);
    await expectText('#run-status', 'WAITING FOR CAPACITY');
    await expectText('#run-capacity h2', 'Waiting for room');
    await expectText('#run-capacity', 'Short 1 task(s)');
    await shot('run-waiting-for-capacity');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expectText('#run-status', 'CANCELLED');
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
  });

  it('lists task definitions and their revisions, readable in a narrow window', async () => {
    await page.goto(`${stack.api}/console#/task-definitions`);
    await page.getByRole('link', { name: 'anjana-educative' }).click();
    await expectText('h1', 'anjana-educative:1');
    await shot('task-definition');
    // A row to lay out, whatever ran before, and a run page with its logs.
    const { runId } = await berth.startRun({ taskDefinition: 'anjana-educative:1' });
    await page.setViewportSize({ width: 380, height: 800 });
    const overflow = () => page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    await page.goto(`${stack.api}/console#/runs`);
    await page.locator('table.runs tbody a').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot('runs-narrow');
    await page.goto(`${stack.api}/console#/runs/${runId}`);
    await expectText('#run-logs .log-message', '[berth] simulated container');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot('run-narrow');
    await page.goto(`${stack.api}/console#/queues`);
    await page.locator('article[data-queue="default"]').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot('queues-narrow');
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('can be driven with the keyboard: the navigation follows the skip link in the Tab order and opens pages', async () => {
    await page.goto(`${stack.api}/console#/runs`);
    await page.locator('.skip').focus(); // the first stop of the page's tab order
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Start a run');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/start$/);
  });

  it('berth console serves the same page and forwards its calls to the API, signed; other origins are refused', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'berth.js'), 'console', '--api', stack.api], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const found = / on (http:\/\/127\.0\.0\.1:\d+\/console)/.exec(out)?.[1];
          if (found) resolve(found);
        });
        child.once('exit', (code) => reject(new Error(`berth console exited (${code}): ${out}`)));
      });
      const origin = new URL(url).origin;
      pageOrigins.push(origin);
      await page.goto(`${url}#/task-definitions`);
      await page.getByRole('link', { name: 'anjana-ec2' }).waitFor();
      await page.goto(`${url}#/cluster`);
      await page.locator('.instance').first().waitFor();
      await shot('berth-console-cluster');
      const refused = await fetch(`${origin}/runs`, { headers: { origin: 'http://evil.example' } });
      expect(refused.status).toBe(403);
      // A DNS-rebinding page reaches 127.0.0.1 under its own name (fetch cannot set Host: a raw request does).
      const rebound = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get(`${origin}/runs`, { headers: { host: 'evil.example' } }, (res) => {
            res.resume();
            resolve(res.statusCode);
          })
          .once('error', reject);
      });
      expect(rebound).toBe(403);
      const plan = await fetch(`${origin}/runs/plan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ taskDefinition: 'anjana-ec2', count: 0 }),
      });
      expect(plan.status).toBe(400);
      expect(((await plan.json()) as { errors: Array<{ path: string }> }).errors[0]?.path).toBe('$.count');
    } finally {
      child.kill('SIGINT');
    }
  });
});

async function expectText(selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor();
}

/** Reads until `done` holds, a tenth of a second apart, for at most a minute. */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within 60 s; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function widthOf(locator: ReturnType<Page['locator']>): Promise<number> {
  return locator.evaluate((el: { getBoundingClientRect(): { width: number } }) => el.getBoundingClientRect().width);
}
