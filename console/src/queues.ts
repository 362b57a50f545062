/**
 * Queues (GET /queues, POST /queues/{name}/pause|resume) and a run's place in its queue (the run view's `queue`).
 * A queue holds runs QUEUED until a slot is free (maxConcurrentRuns), admits them by priority and then fair share;
 * a paused queue admits none and keeps taking runs.
 */
import { api, enc } from './api';
import { h, mount, time } from './dom';
import type { Queue, RunView } from './types';
import { age, live, main, showProblem } from './ui';

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED']);

const seconds = (s: number) =>
  s % 86_400 === 0 ? `${s / 86_400} d` : s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;

export function queuesPage(): void {
  const list = h('div', { class: 'queues' });
  mount(
    main,
    h('div', { class: 'page-problem' }),
    h('h1', {}, 'Queues'),
    h(
      'p',
      { class: 'muted' },
      'Runs wait QUEUED for a slot, admitted by priority (higher first), then fair share, then arrival. A paused queue admits none and still takes runs.',
    ),
    list,
  );
  live(2000, async () => {
    const { queues } = await api<{ queues: Queue[] }>('GET', '/queues');
    mount(list, queues.length === 0 && h('p', {}, 'No queues.'), ...queues.map((q) => queueCard(q)));
    return true;
  });
}

function queueCard(q: Queue): HTMLElement {
  const card = h(
    'article',
    { class: `queue${q.paused ? ' paused' : ''}`, 'data-queue': q.name, 'aria-labelledby': `queue-${q.name}` },
    h(
      'h2',
      { id: `queue-${q.name}` },
      q.name,
      ' ',
      q.paused ? h('span', { class: 'badge s-paused' }, 'PAUSED') : h('span', { class: 'badge s-open' }, 'ADMITTING'),
    ),
    q.description && h('p', { class: 'muted' }, q.description),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Limit'),
      h('dd', {}, q.maxConcurrentRuns === undefined ? 'no limit' : `${q.maxConcurrentRuns} running at once`),
      h('dt', {}, 'Running'),
      h('dd', { class: 'queue-running' }, String(q.running)),
      h('dt', {}, 'Queued'),
      h('dd', { class: 'queue-queued' }, q.queuedIsLowerBound ? `at least ${q.queued}` : String(q.queued)),
      h('dt', {}, 'Oldest waiting'),
      h('dd', {}, q.oldestQueuedAt === undefined ? '–' : `${age(q.oldestQueuedAt)} (since ${time(q.oldestQueuedAt)})`),
      q.cluster !== undefined && [h('dt', {}, 'Cluster'), h('dd', {}, q.cluster)],
      q.maxQueuedSeconds !== undefined && [
        h('dt', {}, 'Longest wait'),
        h('dd', {}, `${seconds(q.maxQueuedSeconds)}, then the run ends`),
      ],
    ),
    q.shares !== undefined &&
      q.shares.length > 0 &&
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'shares' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Share'), h('th', {}, 'Weight'), h('th', {}, 'Running'), h('th', {}, 'Queued')),
          ),
          h(
            'tbody',
            {},
            ...q.shares.map((s) =>
              h(
                'tr',
                {},
                h('td', {}, h('code', {}, s.shareIdentifier)),
                h('td', {}, String(s.weightFactor)),
                h('td', {}, String(s.running)),
                h('td', {}, String(s.queued)),
              ),
            ),
          ),
        ),
      ),
    h(
      'p',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          'data-key': `${q.paused ? 'resume' : 'pause'}-${q.name}`,
          onclick: async (e: Event) => {
            const button = e.currentTarget as HTMLButtonElement;
            button.disabled = true;
            try {
              const next = await api<Queue>('POST', `/queues/${enc(q.name)}/${q.paused ? 'resume' : 'pause'}`);
              const replacement = queueCard(next);
              card.replaceWith(replacement);
              replacement.querySelector('button')?.focus();
            } catch (err) {
              button.disabled = false;
              showProblem(err);
            }
          },
        },
        q.paused ? `Resume ${q.name}` : `Pause ${q.name}`,
      ),
      ' ',
      h('a', { href: `#/runs?queue=${enc(q.name)}` }, `Runs in ${q.name}`),
    ),
  );
  return card;
}

/** The run page's block: the queue, the run's priority and share, and where it stands or when it was admitted. */
export function runQueueBlock(queue: NonNullable<RunView['queue']>, status: string): HTMLElement {
  const waiting = status === 'QUEUED';
  return h(
    'section',
    { class: `run-queue${waiting ? ' waiting' : ''}`, id: 'run-queue' },
    h('h2', {}, 'Queue'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Queue'),
      h('dd', {}, h('a', { href: '#/queues' }, queue.name)),
      h('dt', {}, 'Priority'),
      h('dd', {}, String(queue.priority)),
      queue.shareIdentifier !== undefined && [h('dt', {}, 'Share'), h('dd', {}, h('code', {}, queue.shareIdentifier))],
      h('dt', {}, 'Enqueued'),
      h('dd', {}, time(queue.enqueuedAt)),
      queue.admittedAt !== undefined
        ? [
            h('dt', {}, 'Admitted'),
            h(
              'dd',
              {},
              `${time(queue.admittedAt)} (after ${age(queue.enqueuedAt, Date.parse(queue.admittedAt))} in the queue)`,
            ),
          ]
        : !waiting
          ? ENDED.has(status) && [h('dt', {}, 'Admitted'), h('dd', {}, 'never: the run ended in the queue')]
          : [
              h('dt', {}, 'Position'),
              h(
                'dd',
                { id: 'queue-position' },
                queue.position === undefined
                  ? 'not known'
                  : queue.position === 1
                    ? '1: next to be admitted'
                    : `${queue.position} (${queue.position - 1} ahead)`,
              ),
              h('dt', {}, 'Waiting'),
              h('dd', {}, age(queue.enqueuedAt)),
            ],
      queue.waitingFor !== undefined && waiting && [h('dt', {}, 'Waiting for'), h('dd', {}, queue.waitingFor)],
    ),
  );
}
