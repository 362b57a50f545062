/** The console's whole view layer: elements built with text nodes (never innerHTML), so API data cannot inject markup. */
type Child = Node | string | number | false | null | undefined | Child[];
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    // Through the CSSOM: the page's Content-Security-Policy refuses style attributes.
    else if (name === 'style') element.style.cssText = String(value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's content. Pages refresh on a timer by mounting anew: the element that had the focus inside
 * (a link, a button) gets it back in the new content, found by its id, link or `data-key`, so a refresh does not
 * throw a keyboard user back to the top.
 */
export function mount(target: Element, ...children: Child[]): void {
  const focused = document.activeElement;
  const key = focused !== null && focused !== target && target.contains(focused) ? focusKey(focused) : undefined;
  target.replaceChildren();
  append(target, children);
  if (key === undefined || focused === null) return;
  for (const candidate of target.querySelectorAll(focused.tagName)) {
    if (focusKey(candidate) === key) {
      (candidate as HTMLElement).focus({ preventScroll: true });
      return;
    }
  }
}

const focusKey = (element: Element) =>
  element.id || element.getAttribute('data-key') || element.getAttribute('href') || undefined;

export const time = (iso: string | undefined) =>
  iso === undefined ? '' : new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** The last part of an ARN: `.../default/3f1c` -> `3f1c`. */
export const shortArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
