/**
 * The runs list (GET /runs, newest first, with one filter at a time: the API reads one index per page) and one run
 * (GET /runs/{runId}: its queue, capacity checks, attempts with their containers and retry decisions, its logs).
 */
import { api, enc } from './api';
import { h, mount, shortArn, time } from './dom';
import { runQueueBlock } from './queues';
import { logsPanel } from './run-logs';
import type { Queue, RunStatus, RunSummary, RunView } from './types';
import { badge, live, main, pageAlive, showProblem } from './ui';

/** Every status, in the order a run goes through them; the type check fails when the API gains one not listed. */
export const STATUSES = [
  'PENDING',
  'QUEUED',
  'WAITING_FOR_CAPACITY',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'SKIPPED',
] as const satisfies readonly RunStatus[];
const everyStatusListed: Exclude<RunStatus, (typeof STATUSES)[number]> extends never ? true : never = true;
void everyStatusListed;
const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED']);
const FAILED = new Set(['FAILED', 'TIMED_OUT']);

/** The runs list's filters, as GET /runs names them. The API takes one of them at a time. */
const FILTERS = ['status', 'family', 'trigger', 'queue'] as const;
type Filter = (typeof FILTERS)[number];
const TRIGGER_TYPES = ['api', 'schedule', 'event'];
const PAGE_SIZE = 50;

const rowClass = (status: string) => (FAILED.has(status) ? 'failed' : status === 'SKIPPED' ? 'skipped' : '');

function triggerText(trigger: RunSummary['trigger']): string {
  if (trigger === undefined) return '';
  return trigger.name ? `${trigger.type}: ${trigger.name}` : trigger.type;
}

export function runsPage(params: URLSearchParams): void {
  const active = FILTERS.find((f) => params.get(f));
  const from = params.get('from') ?? '';
  // `limit` in the address: a shorter page (the API takes 1 to 100).
  const limit = Math.min(100, Math.max(1, Number.parseInt(params.get('limit') ?? '', 10) || PAGE_SIZE));
  const value = active === undefined ? '' : (params.get(active) ?? '');
  const go = (filter: Filter, next: string) => {
    location.hash = next.trim() ? `#/runs?${filter}=${enc(next.trim())}` : '#/runs';
  };
  const current = (filter: Filter) => (filter === active ? value : '');
  const onChange = (filter: Filter) => (e: Event) => go(filter, (e.target as HTMLInputElement).value);

  const queueSelect = h(
    'select',
    { id: 'filter-queue', onchange: onChange('queue') },
    h('option', { value: '' }, 'any queue'),
    active === 'queue' && h('option', { value, selected: true }, value),
  );
  api<{ queues: Queue[] }>('GET', '/queues').then(
    ({ queues }) =>
      queueSelect.append(
        ...queues
          .filter((q) => !(active === 'queue' && q.name === value))
          .map((q) => h('option', { value: q.name }, q.name)),
      ),
    () => undefined,
  );
  const text = (filter: 'family' | 'trigger', list: string, placeholder: string) =>
    h('input', {
      id: `filter-${filter}`,
      name: filter,
      list,
      value: current(filter),
      placeholder,
      size: 14,
      onchange: onChange(filter),
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === 'Enter') go(filter, (e.target as HTMLInputElement).value);
      },
    });
  const filters = h(
    'div',
    { class: 'filters inline', role: 'search', 'aria-label': 'Filter the runs' },
    h(
      'span',
      { class: 'filter' },
      h('label', { for: 'filter-status' }, 'Status'),
      h(
        'select',
        { id: 'filter-status', onchange: onChange('status') },
        h('option', { value: '' }, 'any status'),
        ...STATUSES.map((s) => h('option', { value: s, selected: s === current('status') }, s.replaceAll('_', ' '))),
      ),
    ),
    h(
      'span',
      { class: 'filter' },
      h('label', { for: 'filter-family' }, 'Family'),
      text('family', 'family-names', 'any family'),
    ),
    h(
      'span',
      { class: 'filter' },
      h('label', { for: 'filter-trigger' }, 'Trigger'),
      text('trigger', 'trigger-types', 'a type or name'),
    ),
    h('span', { class: 'filter' }, h('label', { for: 'filter-queue' }, 'Queue'), queueSelect),
    active !== undefined && h('a', { href: '#/runs', class: 'clear' }, 'Clear filter'),
    h('datalist', { id: 'trigger-types' }, ...TRIGGER_TYPES.map((t) => h('option', { value: t }))),
    familiesList('family-names', false),
  );
  const body = h('tbody');
  const more = h('div');
  mount(
    main,
    h('div', { class: 'page-problem' }),
    h('div', { class: 'heading' }, h('h1', {}, 'Runs'), h('a', { class: 'button', href: '#/start' }, 'Start a run')),
    filters,
    h('p', { class: 'muted hint' }, 'One filter at a time: choosing one clears the other.'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'runs' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Run'),
            h('th', {}, 'Status'),
            h('th', {}, 'Family'),
            h('th', { class: 'col-trigger' }, 'Trigger'),
            h('th', {}, 'Created'),
            h('th', { class: 'col-stopped' }, 'Stopped'),
          ),
        ),
        body,
      ),
    ),
    more,
  );
  live(2000, async () => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (active !== undefined) query.set(active, value);
    if (from) query.set('nextToken', from);
    const page = await api<{ items: RunSummary[]; nextToken?: string }>('GET', `/runs?${query}`);
    mount(
      body,
      page.items.length === 0 &&
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 6 },
            from ? 'No older runs.' : active === undefined ? 'No runs yet.' : `No runs with ${active} ${value}.`,
          ),
        ),
      ...page.items.map((run) =>
        h(
          'tr',
          { class: rowClass(run.status) },
          h('td', {}, h('a', { href: `#/runs/${enc(run.runId)}` }, run.runId)),
          h('td', {}, badge(run.status)),
          h('td', {}, run.family ?? ''),
          h('td', { class: 'col-trigger' }, triggerText(run.trigger)),
          h('td', {}, time(run.createdAt)),
          h('td', { class: 'col-stopped' }, time(run.stoppedAt)),
        ),
      ),
    );
    // Older pages by the API's token, kept in the address: a page shown stays the same page as it refreshes.
    const here = `${active === undefined ? '' : `${active}=${enc(value)}&`}${limit === PAGE_SIZE ? '' : `limit=${limit}&`}`;
    mount(
      more,
      h(
        'p',
        { class: 'pager' },
        from && h('a', { href: `#/runs${here ? `?${here.slice(0, -1)}` : ''}` }, '← Newest runs'),
        page.nextToken !== undefined && h('a', { href: `#/runs?${here}from=${enc(page.nextToken)}` }, 'Older runs →'),
      ),
    );
    return true;
  });
}

/** A datalist of the ACTIVE families (with their latest revision, or the names alone), for inputs. */
export function familiesList(id = 'families', withRevision = true): HTMLElement {
  const list = h('datalist', { id });
  api<{ items: Array<{ family: string; latestRevision: number }> }>('GET', '/task-definitions?limit=100').then(
    (page) =>
      mount(
        list,
        ...page.items.map((f) => h('option', { value: withRevision ? `${f.family}:${f.latestRevision}` : f.family })),
      ),
    () => undefined,
  );
  return list;
}

// ---- one run ---------------------------------------------------------------------------------

export function runPage(runId: string): void {
  const slot = h('div');
  const alive = pageAlive();
  const logs = logsPanel(runId, alive);
  mount(
    main,
    h('div', { class: 'page-problem' }),
    h('p', {}, h('a', { href: '#/runs' }, '← Runs')),
    h('h1', {}, 'Run ', h('code', {}, runId)),
    slot,
    logs.element,
  );
  live(1500, async () => {
    const run = await api<RunView>('GET', `/runs/${enc(runId)}`);
    const finished = FINISHED.has(run.status);
    mount(
      slot,
      facts(run),
      run.error &&
        h('div', { class: 'problem', role: 'status' }, h('strong', {}, run.error.code), h('p', {}, run.error.message)),
      run.skipped &&
        h(
          'div',
          { class: 'note', id: 'run-skipped' },
          h('strong', {}, 'Skipped: '),
          run.skipped.reason,
          ' ',
          h('a', { href: `#/runs/${enc(run.skipped.overlappedRunId)}` }, 'Open the run it would have overlapped'),
        ),
      run.replaced &&
        run.replaced.length > 0 &&
        h(
          'p',
          { class: 'note' },
          'Before it started, this run cancelled the run(s) of its trigger still going: ',
          ...run.replaced.flatMap((id, i) => [i > 0 && ', ', h('a', { href: `#/runs/${enc(id)}` }, id)]),
          '.',
        ),
      run.queue && run.status !== 'SKIPPED' && runQueueBlock(run.queue, run.status),
      capacityBlock(run),
      h('h2', {}, 'Attempts'),
      run.attempts.length === 0 &&
        h('p', { class: 'muted' }, finished ? 'No attempt was made.' : 'No attempt has started yet.'),
      ...run.attempts.map((a) => attemptBlock(a, run.attempts.length)),
      !finished &&
        h(
          'p',
          {},
          h(
            'button',
            {
              type: 'button',
              'data-key': 'cancel',
              onclick: async (e: Event) => {
                (e.currentTarget as HTMLButtonElement).disabled = true;
                try {
                  await api('POST', `/runs/${enc(runId)}/cancel`);
                } catch (err) {
                  showProblem(err);
                }
              },
            },
            'Cancel run',
          ),
        ),
    );
    logs.update(run);
    return !finished;
  });
}

function facts(run: RunView): HTMLElement {
  const [family, revision] = shortArn(run.taskDefinitionArn).split(':');
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Status'),
    h('dd', { id: 'run-status' }, badge(run.status)),
    h('dt', {}, 'Task definition'),
    h(
      'dd',
      {},
      h(
        'a',
        { href: `#/task-definitions/${enc(family ?? '')}${revision ? `/${enc(revision)}` : ''}` },
        shortArn(run.taskDefinitionArn),
      ),
    ),
    h('dt', {}, 'Cluster'),
    h('dd', {}, h('a', { href: `#/cluster?cluster=${enc(shortArn(run.cluster))}` }, run.cluster)),
    run.trigger && [h('dt', {}, 'Trigger'), h('dd', {}, triggerText(run.trigger))],
    run.principal && [h('dt', {}, 'Started by'), h('dd', {}, run.principal)],
    h('dt', {}, 'Created'),
    h('dd', {}, time(run.createdAt)),
    run.startedAt && [h('dt', {}, 'Started'), h('dd', {}, time(run.startedAt))],
    run.stoppedAt && [h('dt', {}, 'Stopped'), h('dd', {}, time(run.stoppedAt))],
  );
}

/** The last capacity check: while the run waits for room it says what is short; after, whether it fitted. */
function capacityBlock(run: RunView): HTMLElement | undefined {
  const c = run.capacity;
  const waiting = run.status === 'WAITING_FOR_CAPACITY';
  if (c === undefined) {
    return waiting
      ? h(
          'section',
          { class: 'capacity waiting', id: 'run-capacity' },
          h('h2', {}, 'Waiting for room'),
          run.waitingFor && h('p', {}, h('strong', {}, 'Waiting for: '), run.waitingFor),
        )
      : undefined;
  }
  const short = c.shortfall && c.shortfall.tasks > 0 ? c.shortfall : undefined;
  const found = `${c.placeableCount} task(s) placeable on ${c.instanceCount} instance(s)`;
  if (!waiting && c.fits) {
    return h(
      'p',
      { class: 'muted', id: 'run-capacity' },
      `Capacity: the last check (${time(c.checkedAt)}) found room, ${found}.`,
    );
  }
  return h(
    'section',
    { class: `capacity${waiting ? ' waiting' : ''}`, id: 'run-capacity' },
    h('h2', {}, waiting ? 'Waiting for room' : 'Capacity'),
    waiting && run.waitingFor && h('p', {}, h('strong', {}, 'Waiting for: '), run.waitingFor),
    h(
      'p',
      {},
      `The last check found ${c.fits ? 'room' : 'no room'}: ${found}.`,
      short &&
        ` Short ${short.tasks} task(s)${short.cpu ? `, ${short.cpu} CPU units` : ''}${short.memory ? `, ${short.memory} MiB` : ''}${short.reason ? ` (${short.reason})` : ''}.`,
      ` Checked ${time(c.checkedAt)}.`,
      waiting && [' ', h('a', { href: `#/cluster?cluster=${enc(shortArn(run.cluster))}` }, 'See the cluster and plan')],
    ),
  );
}

function attemptBlock(a: RunView['attempts'][number], count: number): HTMLElement {
  const tasks =
    a.tasks && a.tasks.length > 1
      ? a.tasks.map((t) => ({ taskArn: t.taskArn, containers: t.containers }))
      : [{ taskArn: a.taskArns[0], containers: a.containers }];
  const several = tasks.length > 1;
  return h(
    'section',
    { class: `attempt ${FAILED.has(a.outcome) ? 'failed' : ''}`, 'data-attempt': a.attempt },
    h('h3', {}, `Attempt ${a.attempt} of ${count} `, badge(a.outcome)),
    h(
      'p',
      { class: 'muted' },
      a.startedAt ? `started ${time(a.startedAt)}` : 'not started',
      a.stoppedAt ? `, stopped ${time(a.stoppedAt)}` : '',
      a.stopCode ? ` · ${a.stopCode}` : '',
      a.stoppedReason ? ` · ${a.stoppedReason}` : '',
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            several && h('th', {}, 'Task'),
            h('th', {}, 'Container'),
            h('th', {}, 'Exit code'),
            h('th', {}, 'Reason'),
          ),
        ),
        h(
          'tbody',
          {},
          ...tasks.flatMap((t) =>
            t.containers.map((c) =>
              h(
                'tr',
                { class: c.exitCode !== undefined && c.exitCode !== 0 ? 'failed' : '' },
                several && h('td', {}, t.taskArn ? shortArn(t.taskArn) : ''),
                h('td', {}, c.name),
                h('td', { class: 'exit-code' }, c.exitCode === undefined ? '–' : String(c.exitCode)),
                h('td', {}, c.reason ?? ''),
              ),
            ),
          ),
        ),
      ),
    ),
    !several && a.taskArns.length > 0 && h('p', { class: 'muted' }, 'Task ', a.taskArns.map(shortArn).join(', ')),
    a.retry &&
      h(
        'p',
        { class: `retry ${a.retry.decision === 'RETRY' ? 'again' : 'stop'}` },
        h('strong', {}, a.retry.decision === 'RETRY' ? 'Retried: ' : 'Not retried: '),
        a.retry.why,
      ),
  );
}
