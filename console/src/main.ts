/**
 * Berth's console: plain TypeScript on the DOM, bundled by esbuild (console/build.ts). A hash router picks the page;
 * each page renders from the API and refreshes itself on a timer while it is shown (live status without reload).
 * Pages show only what the API offers: runs, one run with its logs, queues, the cluster and its placement plan,
 * task definitions, and the start-a-run form.
 */
import { ApiProblem, api, enc, type Violation } from './api';
import { h, mount, shortArn, time } from './dom';
import { queuesPage } from './queues';
import { familiesList, runPage, runsPage } from './runs';
import type { ClusterCapacity, FamilySummary, PlacementPlan, Queue, TaskDefinition } from './types';
import { badge, live, main, nextPage, problemBox } from './ui';

// ---- cluster ---------------------------------------------------------------------------------

function bar(label: string, total: number, runs: number, others: number, unit: string): HTMLElement {
  const pct = (n: number) => (total > 0 ? `${Math.max(0, Math.min(100, (n / total) * 100)).toFixed(1)}%` : '0%');
  const free = Math.max(0, total - runs - others);
  return h(
    'div',
    { class: 'bar-row' },
    h('span', { class: 'bar-label' }, label),
    h(
      'div',
      {
        class: 'bar',
        role: 'img',
        'aria-label': `${label}: ${runs} ${unit} used by Berth runs, ${others} by others, ${free} free of ${total}`,
      },
      h('span', { class: 'seg runs', style: `width:${pct(runs)}` }),
      h('span', { class: 'seg others', style: `width:${pct(others)}` }),
    ),
    h('span', { class: 'bar-figures' }, `${runs} runs · ${others} others · ${free} free / ${total} ${unit}`),
  );
}

function clusterPage(params: URLSearchParams): void {
  const cluster = params.get('cluster') || 'default';
  const view = h('div');
  const planSlot = h('div', { id: 'plan-result' });
  const form = h(
    'form',
    {
      class: 'inline',
      id: 'plan-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const data = new FormData(e.target as HTMLFormElement);
        mount(planSlot, h('p', { class: 'muted' }, 'Planning…'));
        try {
          const plan = await api<PlacementPlan>('POST', '/runs/plan', {
            taskDefinition: String(data.get('taskDefinition') ?? ''),
            count: Number(data.get('count') ?? 1),
            cluster,
          });
          mount(planSlot, planView(plan));
        } catch (err) {
          mount(planSlot, problemBox(err));
        }
      },
    },
    h('label', { for: 'plan-td' }, 'Task definition '),
    h('input', {
      id: 'plan-td',
      name: 'taskDefinition',
      required: true,
      list: 'families',
      placeholder: 'family or family:revision',
    }),
    h('label', { for: 'plan-count' }, ' Count '),
    h('input', { id: 'plan-count', name: 'count', type: 'number', min: 1, max: 10, value: 1, required: true }),
    h('button', { type: 'submit' }, 'Plan'),
  );
  mount(
    main,
    h('div', { class: 'page-problem' }),
    h('h1', {}, 'Cluster ', h('code', {}, cluster)),
    h(
      'form',
      {
        class: 'inline',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const value = new FormData(e.target as HTMLFormElement).get('cluster');
          location.hash = `#/cluster?cluster=${enc(String(value || 'default'))}`;
        },
      },
      h('label', { for: 'cluster-name' }, 'Cluster '),
      h('input', { id: 'cluster-name', name: 'cluster', value: cluster }),
      h('button', { type: 'submit' }, 'Show'),
    ),
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'swatch runs' }),
      ' used by Berth runs ',
      h('span', { class: 'swatch others' }),
      ' used by others ',
      h('span', { class: 'swatch free' }),
      ' free',
    ),
    view,
    h(
      'section',
      {},
      h('h2', {}, 'Placement plan'),
      h('p', { class: 'muted' }, 'Where a run would land now, or why not. Nothing is started.'),
      form,
      planSlot,
    ),
    familiesList(),
  );
  live(2000, async () => {
    const c = await api<ClusterCapacity>('GET', `/clusters/${enc(cluster)}/capacity`);
    const t = c.totals;
    mount(
      view,
      h(
        'p',
        {},
        `${t.instances} ACTIVE instance(s), ${t.connected} connected · ${t.runs} run(s), ${t.tasks} task(s) · observed ${time(c.observedAt)}`,
      ),
      h(
        'div',
        { class: 'totals' },
        bar('CPU', t.registered.cpu, t.usedByRuns.cpu, t.usedByOthers.cpu, 'units'),
        bar('Memory', t.registered.memory, t.usedByRuns.memory, t.usedByOthers.memory, 'MiB'),
      ),
      h(
        'div',
        { class: 'instances' },
        ...c.instances.map((i) =>
          h(
            'article',
            { class: 'instance', 'data-instance': i.containerInstanceArn },
            h(
              'h3',
              {},
              i.ec2InstanceId ?? shortArn(i.containerInstanceArn),
              ' ',
              i.agentConnected
                ? h('span', { class: 'badge s-succeeded' }, 'agent connected')
                : h('span', { class: 'badge s-failed' }, 'agent disconnected'),
            ),
            h(
              'p',
              { class: 'muted' },
              [i.attributes['ecs.instance-type'], i.attributes['ecs.availability-zone']].filter(Boolean).join(' · '),
            ),
            bar('CPU', i.registered.cpu, i.usedByRuns.cpu, i.usedByOthers.cpu, 'units'),
            bar('Memory', i.registered.memory, i.usedByRuns.memory, i.usedByOthers.memory, 'MiB'),
            i.tasks.length > 0 &&
              h(
                'ul',
                { class: 'tasks' },
                ...i.tasks.map((task) =>
                  h(
                    'li',
                    {},
                    task.runId
                      ? h('a', { href: `#/runs/${enc(task.runId)}` }, `run ${task.runId}`)
                      : shortArn(task.taskDefinitionArn),
                    ` · ${task.lastStatus} · ${task.reserved.cpu} CPU, ${task.reserved.memory} MiB`,
                  ),
                ),
              ),
          ),
        ),
      ),
    );
    return true;
  });
}

function planView(plan: PlacementPlan): HTMLElement {
  return h(
    'div',
    { class: `plan ${plan.fits ? '' : 'short'}` },
    h('p', {}, h('strong', {}, `${shortArn(plan.taskDefinitionArn)} × ${plan.count} (${plan.launch}): `), plan.message),
    plan.checked &&
      h(
        'p',
        { class: 'muted' },
        `Each task reserves ${plan.needs.cpu} CPU units and ${plan.needs.memory} MiB${plan.needs.ports.length ? `, host ports ${plan.needs.ports.join(', ')}` : ''}.`,
      ),
    plan.tasks.length > 0 &&
      h(
        'ol',
        { class: 'plan-tasks' },
        ...plan.tasks.map((task) =>
          h(
            'li',
            { class: task.containerInstanceArn ? '' : 'failed' },
            task.containerInstanceArn
              ? `→ ${task.ec2InstanceId ?? shortArn(task.containerInstanceArn)}`
              : 'no instance has room',
            task.refusals.length > 0 &&
              h(
                'ul',
                {},
                ...task.refusals.map((r) =>
                  h(
                    'li',
                    {},
                    `${r.ec2InstanceId ?? shortArn(r.containerInstanceArn)}: ${r.message} `,
                    h('code', {}, r.reason),
                  ),
                ),
              ),
          ),
        ),
      ),
    plan.shortfall &&
      plan.shortfall.tasks > 0 &&
      h(
        'p',
        {},
        `Short: ${plan.shortfall.tasks} task(s), ${plan.shortfall.cpu ?? 0} CPU units, ${plan.shortfall.memory ?? 0} MiB.`,
      ),
  );
}

// ---- task definitions ------------------------------------------------------------------------

function taskDefinitionsPage(): void {
  const body = h('tbody');
  mount(
    main,
    h('div', { class: 'page-problem' }),
    h('h1', {}, 'Task definitions'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Family'), h('th', {}, 'Latest revision'), h('th', {}, 'Status'))),
        body,
      ),
    ),
  );
  live(10_000, async () => {
    const page = await api<{ items: FamilySummary[] }>('GET', '/task-definitions?limit=100');
    mount(
      body,
      page.items.length === 0 && h('tr', {}, h('td', { colspan: 3 }, 'No task definitions yet.')),
      ...page.items.map((f) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/task-definitions/${enc(f.family)}` }, f.family)),
          h('td', {}, String(f.latestRevision)),
          h('td', {}, f.status),
        ),
      ),
    );
    return true;
  });
}

function taskDefinitionPage(family: string, revision: string | undefined): void {
  const slot = h('div');
  mount(
    main,
    h('div', { class: 'page-problem' }),
    h('p', {}, h('a', { href: '#/task-definitions' }, '← Task definitions')),
    slot,
  );
  live(0, async () => {
    const td = await api<TaskDefinition>(
      'GET',
      `/task-definitions/${enc(family)}${revision ? `/${enc(revision)}` : ''}`,
    );
    const latest = revision === undefined ? td.revision : undefined;
    mount(
      slot,
      h('h1', {}, `${td.family}:${td.revision} `, badge(td.status)),
      h(
        'p',
        {},
        'Revisions: ',
        ...Array.from({ length: Math.max(td.revision, latest ?? 0) }, (_, i) => i + 1).flatMap((r) => [
          r === td.revision
            ? h('strong', {}, String(r))
            : h('a', { href: `#/task-definitions/${enc(family)}/${r}` }, String(r)),
          ' ',
        ]),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Compatibilities'),
        h('dd', {}, (td.requiresCompatibilities ?? []).join(', ') || 'EC2 (default)'),
        h('dt', {}, 'Network mode'),
        h('dd', {}, td.networkMode ?? 'bridge'),
        h('dt', {}, 'Task size'),
        h('dd', {}, `${td.cpu ?? '–'} CPU units, ${td.memory ?? '–'} MiB`),
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
              h('th', {}, 'Container'),
              h('th', {}, 'Image'),
              h('th', {}, 'CPU'),
              h('th', {}, 'Memory'),
              h('th', {}, 'Command'),
            ),
          ),
          h(
            'tbody',
            {},
            ...td.containerDefinitions.map((c) =>
              h(
                'tr',
                {},
                h('td', {}, c.name),
                h('td', {}, c.image),
                h('td', {}, String(c.cpu ?? '')),
                h('td', {}, String(c.memory ?? c.memoryReservation ?? '')),
                h('td', {}, (c.command ?? []).join(' ')),
              ),
            ),
          ),
        ),
      ),
      td.status === 'ACTIVE' &&
        h(
          'p',
          {},
          h(
            'a',
            { class: 'button', href: `#/start?taskDefinition=${enc(`${td.family}:${td.revision}`)}` },
            'Start a run of this revision',
          ),
        ),
    );
    return false;
  });
}

// ---- start a run -----------------------------------------------------------------------------

const FIELDS = [
  'taskDefinition',
  'count',
  'cluster',
  'launchType',
  'timeoutSeconds',
  'attempts',
  'queue',
  'priority',
  'shareIdentifier',
] as const;

function startPage(params: URLSearchParams): void {
  const errors = Object.fromEntries(
    FIELDS.map((f) => [f, h('span', { class: 'field-error', id: `${f}-error`, 'aria-live': 'polite' })]),
  );
  const general = h('div');
  const field = (name: (typeof FIELDS)[number], label: string, input: HTMLElement) =>
    h('div', { class: 'field' }, h('label', { for: name }, label), input, errors[name]);
  const form = h(
    'form',
    {
      id: 'start-form',
      novalidate: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        for (const slot of Object.values(errors)) mount(slot!);
        mount(general);
        const data = new FormData(form);
        const text = (k: string) => String(data.get(k) ?? '').trim();
        const number = (k: string) =>
          text(k) === '' ? undefined : /^-?\d+$/.test(text(k)) ? Number(text(k)) : text(k);
        const request: Record<string, unknown> = { taskDefinition: text('taskDefinition') };
        if (number('count') !== undefined) request.count = number('count');
        if (text('cluster')) request.cluster = text('cluster');
        if (text('launchType')) request.launchType = text('launchType');
        if (number('timeoutSeconds') !== undefined) request.timeoutSeconds = number('timeoutSeconds');
        if (number('attempts') !== undefined) request.retry = { attempts: number('attempts') };
        if (text('queue')) request.queue = text('queue');
        if (number('priority') !== undefined) request.priority = number('priority');
        if (text('shareIdentifier')) request.shareIdentifier = text('shareIdentifier');
        const button = form.querySelector('button[type=submit]') as HTMLButtonElement;
        button.disabled = true;
        try {
          const run = await api<{ runId: string }>('POST', '/runs', request);
          location.hash = `#/runs/${enc(run.runId)}`;
        } catch (err) {
          const rest: Violation[] = [];
          if (err instanceof ApiProblem) {
            for (const v of err.violations) {
              const name = /^\$\.(?:retry\.)?([A-Za-z]+)/.exec(v.path)?.[1];
              const slot = name !== undefined ? errors[name] : undefined;
              if (slot) slot.append(h('span', {}, v.message, ' '));
              else rest.push(v);
            }
            const first = err.violations
              .map((v) => /^\$\.(?:retry\.)?([A-Za-z]+)/.exec(v.path)?.[1])
              .find((n) => n && errors[n]);
            // The fields say what is wrong with them; the box above says what no field shows.
            const detail = rest.length > 0 || first === undefined ? err.detail : 'Correct the fields marked below.';
            mount(general, problemBox(new ApiProblem(err.status, err.title, detail, rest)));
            if (first) (document.getElementById(first) as HTMLElement | null)?.focus();
          } else mount(general, problemBox(err));
        } finally {
          button.disabled = false;
        }
      },
    },
    general,
    field(
      'taskDefinition',
      'Task definition',
      h('input', {
        id: 'taskDefinition',
        name: 'taskDefinition',
        list: 'families',
        value: params.get('taskDefinition') ?? '',
        placeholder: 'family, family:revision or ARN',
        'aria-describedby': 'taskDefinition-error',
      }),
    ),
    field(
      'count',
      'Count',
      h('input', { id: 'count', name: 'count', inputmode: 'numeric', value: '1', 'aria-describedby': 'count-error' }),
    ),
    field(
      'cluster',
      'Cluster',
      h('input', {
        id: 'cluster',
        name: 'cluster',
        placeholder: "the stage's default",
        'aria-describedby': 'cluster-error',
      }),
    ),
    field(
      'launchType',
      'Launch type',
      h(
        'select',
        { id: 'launchType', name: 'launchType', 'aria-describedby': 'launchType-error' },
        h('option', { value: '' }, "the cluster's default"),
        h('option', { value: 'EC2' }, 'EC2'),
        h('option', { value: 'FARGATE' }, 'FARGATE'),
        h('option', { value: 'EXTERNAL' }, 'EXTERNAL'),
      ),
    ),
    field(
      'timeoutSeconds',
      'Timeout per attempt (seconds)',
      h('input', {
        id: 'timeoutSeconds',
        name: 'timeoutSeconds',
        inputmode: 'numeric',
        'aria-describedby': 'timeoutSeconds-error',
      }),
    ),
    field(
      'attempts',
      'Attempts',
      h('input', {
        id: 'attempts',
        name: 'attempts',
        inputmode: 'numeric',
        placeholder: '1',
        'aria-describedby': 'attempts-error',
      }),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Queue (optional)'),
      field(
        'queue',
        'Queue',
        h('input', {
          id: 'queue',
          name: 'queue',
          list: 'queue-names',
          placeholder: 'default',
          'aria-describedby': 'queue-error',
        }),
      ),
      field(
        'priority',
        'Priority (0 to 9999, higher first)',
        h('input', { id: 'priority', name: 'priority', inputmode: 'numeric', 'aria-describedby': 'priority-error' }),
      ),
      field(
        'shareIdentifier',
        'Share identifier (fair share)',
        h('input', { id: 'shareIdentifier', name: 'shareIdentifier', 'aria-describedby': 'shareIdentifier-error' }),
      ),
    ),
    h('button', { type: 'submit' }, 'Start run'),
  );
  const queueNames = h('datalist', { id: 'queue-names' });
  api<{ queues: Queue[] }>('GET', '/queues').then(
    ({ queues }) => mount(queueNames, ...queues.map((q) => h('option', { value: q.name }, q.description ?? ''))),
    () => undefined,
  );
  mount(main, h('div', { class: 'page-problem' }), h('h1', {}, 'Start a run'), form, familiesList(), queueNames);
}

// ---- router ----------------------------------------------------------------------------------

function route(): void {
  nextPage();
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const link of document.querySelectorAll('nav a')) {
    const current = (link as HTMLAnchorElement).hash.split('/')[1] === (parts[0] ?? 'runs');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (parts[0] === 'runs' && parts[1] !== undefined) runPage(parts[1]);
  else if (parts[0] === 'cluster') clusterPage(params);
  else if (parts[0] === 'queues') queuesPage();
  else if (parts[0] === 'task-definitions' && parts[1] !== undefined) taskDefinitionPage(parts[1], parts[2]);
  else if (parts[0] === 'task-definitions') taskDefinitionsPage();
  else if (parts[0] === 'start') startPage(params);
  else runsPage(params);
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
route();
