/**
 * Sorted arrays with binary search: the emulator's list operations page through these from a cursor,
 * so a page costs O(log n + page size) whatever the size of the state.
 */

/** Index of the first element >= value. */
export function lowerBound<T>(items: readonly T[], value: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element > value. */
export function upperBound<T>(items: readonly T[], value: T): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `value` in order unless present; returns whether it was added. */
export function insertSorted<T>(items: T[], value: T): boolean {
  const at = lowerBound(items, value);
  if (items[at] === value) return false;
  if (at === items.length) items.push(value);
  else items.splice(at, 0, value);
  return true;
}

/** Removes `value` if present; returns whether it was there. */
export function removeSorted<T>(items: T[], value: T): boolean {
  const at = lowerBound(items, value);
  if (items[at] !== value) return false;
  items.splice(at, 1);
  return true;
}
