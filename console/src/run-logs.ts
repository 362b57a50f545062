/**
 * The run page's logs: GET /runs/{runId}/logs followed as `berth logs --follow` follows it (client/client.ts
 * followLogs, docs/api.md "Runs"): ask again with the nextToken each page gives; a full page means more is waiting
 * now; stop once the run's status is terminal and a page comes back empty. Without an attempt the API starts at the
 * run's last attempt and moves on to later ones by itself; a container left out means its essential containers.
 * A 503 (CloudWatch Logs throttled) waits its Retry-After and goes on.
 */
import { ApiProblem, api, enc } from './api';
import { h, mount } from './dom';
import type { RunLogEvent, RunLogPage, RunView } from './types';
import { pause, problemBox, statusWords } from './ui';

const PAGE_LIMIT = 1000;
const MIN_DELAY_MS = 1000;
const MAX_DELAY_MS = 5000;
/** Lines kept on the page: past this the oldest go (the CLI prints them all). */
const MAX_LINES = 5000;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED']);

/** How a run ended, in a sentence: `the run ${ended('CANCELLED')}`. */
const ended = (status: string) =>
  status === 'CANCELLED' || status === 'SKIPPED' ? `was ${statusWords(status)}` : statusWords(status);

export interface LogsPanel {
  element: HTMLElement;
  /** The run view as the page last read it: new attempts and containers become choices. */
  update(run: RunView): void;
}

const clock = (ms: number) =>
  new Date(ms).toLocaleTimeString(undefined, {
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
  });

export function logsPanel(runId: string, alive: () => boolean): LogsPanel {
  const attemptSelect = h(
    'select',
    { id: 'logs-attempt' },
    h('option', { value: '' }, 'the latest, following new ones'),
  );
  const containerSelect = h('select', { id: 'logs-container' }, h('option', { value: '' }, 'essential containers'));
  const lines = h('div', { class: 'log-lines' });
  const box = h('div', { class: 'log', id: 'run-logs', role: 'log', tabindex: 0, 'aria-label': 'Run logs' }, lines);
  const state = h('p', { class: 'log-state muted', id: 'logs-state', 'aria-live': 'polite' });
  const notes = h('div');
  const dropNote = h('div');
  const element = h(
    'section',
    { class: 'logs', 'data-state': 'starting' },
    h('h2', {}, 'Logs'),
    h(
      'p',
      { class: 'filters' },
      h('span', { class: 'filter' }, h('label', { for: 'logs-attempt' }, 'Attempt'), attemptSelect),
      h('span', { class: 'filter' }, h('label', { for: 'logs-container' }, 'Container'), containerSelect),
    ),
    notes,
    dropNote,
    box,
    state,
  );

  const palette = new Map<string, number>();
  let session = 0;
  let shown = 0;
  let dropped = 0;
  let lastAttempt: number | undefined;
  // Set when the run view shows the run has moved on (it started, ended): the follower reads again at once
  // instead of sleeping out a delay grown while nothing was written.
  let poked = false;
  let runStatus: string | undefined;

  const setState = (name: 'following' | 'done' | 'waiting' | 'error', text: string) => {
    element.setAttribute('data-state', name);
    mount(state, text);
  };

  const append = (events: RunLogEvent[]) => {
    if (events.length === 0) return;
    const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    const fragment = document.createDocumentFragment();
    for (const event of events) {
      if (event.attempt !== lastAttempt) {
        fragment.append(h('div', { class: 'log-attempt' }, `Attempt ${event.attempt}`));
        lastAttempt = event.attempt;
      }
      if (!palette.has(event.container)) palette.set(event.container, palette.size % 6);
      fragment.append(
        h(
          'div',
          { class: 'log-line' },
          h('span', { class: 'log-time' }, clock(event.timestamp)),
          h('span', { class: `log-container c${palette.get(event.container)}` }, event.container),
          h('span', { class: 'log-message' }, event.message),
        ),
      );
      shown++;
    }
    lines.append(fragment);
    while (shown > MAX_LINES && lines.firstChild !== null) {
      if ((lines.firstChild as Element).classList.contains('log-line')) {
        shown--;
        dropped++;
      }
      lines.firstChild.remove();
    }
    if (dropped > 0) {
      mount(
        dropNote,
        h(
          'p',
          { class: 'muted' },
          `The first ${dropped} lines are no longer shown here; `,
          h('code', {}, `npx berth logs ${runId}`),
          ' prints them all.',
        ),
      );
    }
    if (stick) box.scrollTop = box.scrollHeight;
  };

  async function follow(): Promise<void> {
    const mine = ++session;
    const going = () => alive() && mine === session;
    mount(lines);
    mount(notes);
    mount(dropNote);
    shown = 0;
    dropped = 0;
    lastAttempt = undefined;
    const attempt = attemptSelect.value;
    const container = containerSelect.value;
    const query = new URLSearchParams({ limit: String(PAGE_LIMIT) });
    if (attempt) query.set('attempt', attempt);
    if (container) query.set('container', container);
    let delay = MIN_DELAY_MS;
    let nextToken: string | undefined;
    let unavailable = '';
    setState('following', 'Reading the logs…');
    while (going()) {
      if (nextToken !== undefined) query.set('nextToken', nextToken);
      let page: RunLogPage;
      try {
        page = await api<RunLogPage>('GET', `/runs/${enc(runId)}/logs?${query}`);
      } catch (err) {
        if (!going()) return;
        const p = err instanceof ApiProblem ? err : undefined;
        // Throttled, unreachable or a server fault: say so and try again; any other answer will not change.
        if (p === undefined || p.status === 0 || p.status >= 500) {
          delay = Math.min(MAX_DELAY_MS * 4, Math.max(delay * 2, (p?.retryAfterSeconds ?? 1) * 1000));
          setState(
            'waiting',
            p?.status === 503
              ? `The logs service is busy; reading again in ${Math.round(delay / 1000)} s.`
              : `Could not read the logs (${p?.title ?? String(err)}); trying again in ${Math.round(delay / 1000)} s.`,
          );
          await pause(delay, going);
          continue;
        }
        mount(notes, problemBox(err));
        setState('error', 'The logs cannot be read.');
        return;
      }
      if (!going()) return;
      append(page.events);
      nextToken = page.nextToken;
      const why = (page.unavailable ?? []).map((u) => `${u.container}: ${u.reason}`).join('; ');
      if (why !== unavailable) {
        unavailable = why;
        mount(notes, why && h('p', { class: 'muted' }, `Not in CloudWatch Logs, so not shown here: ${why}.`));
      }
      if (page.events.length >= PAGE_LIMIT) continue;
      if (page.events.length === 0 && TERMINAL.has(page.status)) {
        setState(
          'done',
          shown === 0
            ? `No output${page.attempt === undefined ? '' : ` in attempt ${page.attempt}`}: the run ${ended(page.status)}.`
            : `End of the logs: the run ${ended(page.status)}.`,
        );
        return;
      }
      setState(
        'following',
        page.attempt === undefined
          ? `No attempt has started yet (the run is ${statusWords(page.status)}); waiting for its output…`
          : `Following attempt ${page.attempt} while the run is ${statusWords(page.status)}…`,
      );
      delay = page.events.length > 0 ? MIN_DELAY_MS : Math.min(MAX_DELAY_MS, delay * 1.5);
      poked = false;
      await pause(delay, () => going() && !poked);
      if (poked) delay = MIN_DELAY_MS;
    }
  }

  attemptSelect.addEventListener('change', () => void follow());
  containerSelect.addEventListener('change', () => void follow());
  let started = false;

  return {
    element,
    update(run) {
      addOptions(
        attemptSelect,
        run.attempts.map((a) => String(a.attempt)),
        (value) => `attempt ${value}`,
      );
      addOptions(
        containerSelect,
        [...new Set(run.attempts.flatMap((a) => (a.logs ?? []).map((l) => l.container)))],
        (value) => value,
      );
      if (!started && TERMINAL.has(run.status) && run.attempts.length === 0) {
        // Finished without an attempt (skipped, cancelled or timed out in its queue): there is nothing to read.
        started = true;
        session++;
        setState('done', `No output: no attempt ran (the run ${ended(run.status)}).`);
      } else if (!started) {
        started = true;
        void follow();
      } else if (run.status !== runStatus) poked = true;
      runStatus = run.status;
    },
  };
}

/** Adds the values a select does not offer yet, keeping what is chosen. */
function addOptions(select: HTMLSelectElement, values: string[], label: (value: string) => string): void {
  const have = new Set([...select.options].map((o) => o.value));
  for (const value of values) if (!have.has(value)) select.append(h('option', { value }, label(value)));
}
