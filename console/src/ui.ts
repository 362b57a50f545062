/**
 * What every page shares: the element pages render into, the page's lifetime (a page's timers stop once another
 * page is shown), problems in words, and status badges.
 */
import { ApiProblem } from './api';
import { h, mount } from './dom';

export const main = document.getElementById('main') as HTMLElement;

/** Grows each time a page is shown: a loop started for an older page sees it has ended. */
let generation = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

/** Ends the shown page's loops; the router calls it before showing the next page. */
export function nextPage(): void {
  generation++;
  if (timer !== undefined) clearTimeout(timer);
}

/** A check that stays true while the page shown when it was made is still the one shown. */
export function pageAlive(): () => boolean {
  const mine = generation;
  return () => mine === generation;
}

/** Calls `render` now and every `ms` while the page stays; a render returning false stops the refresh. */
export function live(ms: number, render: (first: boolean) => Promise<boolean | undefined>): void {
  const alive = pageAlive();
  let first = true;
  // A problem this loop showed goes once a render works again (one a button showed stays).
  let failing = false;
  const tick = async () => {
    if (!alive()) return;
    let again: boolean | undefined = true;
    try {
      again = await render(first);
      if (failing && alive()) clearProblem();
      failing = false;
    } catch (err) {
      if (alive()) showProblem(err);
      failing = true;
    }
    first = false;
    if (alive() && again !== false) timer = setTimeout(tick, ms);
  };
  void tick();
}

/** Waits `ms`, or less when the page is left meanwhile (the caller checks `alive()` after). */
export function pause(ms: number, alive: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = () => (!alive() || Date.now() - started >= ms ? resolve() : setTimeout(check, Math.min(250, ms)));
    setTimeout(check, Math.min(250, ms));
  });
}

export function problemBox(err: unknown): HTMLElement {
  const p = err instanceof ApiProblem ? err : new ApiProblem(0, 'Error', String((err as Error)?.message ?? err), []);
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('strong', {}, p.status ? `${p.title} (${p.status})` : p.title),
    h('p', {}, p.detail),
    p.violations.length > 0 &&
      h(
        'ul',
        {},
        ...p.violations.map((v) =>
          h('li', {}, h('code', {}, v.path), ` ${v.message}`, v.rule ? ` (rule ${v.rule})` : ''),
        ),
      ),
  );
}

/** A problem above the page's content (the page keeps what it showed). */
export function showProblem(err: unknown): void {
  const slot =
    main.querySelector('.page-problem') ?? main.insertBefore(h('div', { class: 'page-problem' }), main.firstChild);
  mount(slot, problemBox(err));
}

/** Clears the problem above the page, once what failed works again. */
export function clearProblem(): void {
  const slot = main.querySelector('.page-problem');
  if (slot !== null && slot.childNodes.length > 0) mount(slot);
}

export const badge = (status: string) =>
  h('span', { class: `badge s-${status.toLowerCase()}` }, status.replaceAll('_', ' '));

/** A status in a sentence: `WAITING_FOR_CAPACITY` -> `waiting for capacity`. */
export const statusWords = (status: string) => status.replaceAll('_', ' ').toLowerCase();

/** How long ago an ISO time was, in words: `45 s`, `3 min`, `2 h 5 min`, `3 d`. */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d`;
}
