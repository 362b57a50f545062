/**
 * FilterLogEvents' filter patterns for unstructured log events, as
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html describes them:
 * - an empty pattern matches every event;
 * - terms separated by spaces must all appear (`ERROR Exception`), case-sensitively, anywhere in the message;
 * - a quoted term is a phrase matched as written, spaces and punctuation included (`"Connection reset"`);
 * - `?term` terms are alternatives: an event matches when any of them appears (`?ERROR ?WARN`);
 * - `-term` excludes events that hold the term (`ERROR -Retrying`).
 * Deliberate deviation: JSON (`{ $.x = ... }`), space-delimited (`[ip, user, ...]`) and regular-expression
 * (`%...%`) patterns are refused with InvalidParameterException rather than matched wrongly.
 */

export interface FilterPattern {
  /** Every one must appear. */
  all: string[];
  /** One at least must appear, when there are any. */
  any: string[];
  /** None may appear. */
  none: string[];
}

export class FilterPatternError extends Error {}

/** Splits a pattern into its terms, keeping quoted phrases whole; throws FilterPatternError when it is not valid. */
export function parseFilterPattern(text: string): FilterPattern {
  const pattern: FilterPattern = { all: [], any: [], none: [] };
  const trimmed = text.trim();
  if (trimmed === '') return pattern;
  const first = trimmed.charAt(0);
  if (first === '{' || first === '[' || first === '%') {
    throw new FilterPatternError(
      `Berth's local CloudWatch Logs matches terms and quoted phrases only, not ${first === '{' ? 'JSON' : first === '[' ? 'space-delimited' : 'regular-expression'} filter patterns.`,
    );
  }
  let i = 0;
  while (i < trimmed.length) {
    while (trimmed.charAt(i) === ' ') i++;
    if (i >= trimmed.length) break;
    let kind: keyof FilterPattern = 'all';
    const sign = trimmed.charAt(i);
    if (sign === '?' || sign === '-') {
      kind = sign === '?' ? 'any' : 'none';
      i++;
    }
    let term: string;
    if (trimmed.charAt(i) === '"') {
      const end = trimmed.indexOf('"', i + 1);
      if (end < 0) throw new FilterPatternError(`Invalid character(s) in term '${trimmed.slice(i)}'`);
      term = trimmed.slice(i + 1, end);
      i = end + 1;
      if (i < trimmed.length && trimmed.charAt(i) !== ' ') {
        throw new FilterPatternError(`Invalid character(s) in term '${trimmed.slice(i - term.length - 2)}'`);
      }
    } else {
      const end = trimmed.indexOf(' ', i);
      term = trimmed.slice(i, end < 0 ? undefined : end);
      i = end < 0 ? trimmed.length : end;
      if (term.includes('"')) throw new FilterPatternError(`Invalid character(s) in term '${term}'`);
    }
    if (term === '') throw new FilterPatternError(`Invalid filter pattern '${text}'`);
    pattern[kind].push(term);
  }
  return pattern;
}

export function matchesFilterPattern(pattern: FilterPattern, message: string): boolean {
  if (pattern.none.some((term) => message.includes(term))) return false;
  if (!pattern.all.every((term) => message.includes(term))) return false;
  return pattern.any.length === 0 || pattern.any.some((term) => message.includes(term));
}
