/** Responses more than one route documents. */
import { MAX_BODY_BYTES } from '../http';
import type { ResponseDoc } from './route';

export const location = { Location: 'Where the resource can be read.' };
export const problem = (description: string): ResponseDoc => ({ description, body: 'Problem' });
export const invalid = problem('The request breaks a rule: `errors` lists every violation with its JSONPath.');
export const notFound = problem('No such resource.');
export const refusedByPolicy = problem('A stage guardrail refuses it: `rule` names the setting.');
export const tooLarge = problem(`The body is over ${MAX_BODY_BYTES} bytes.`);
export const notJson = problem('The body is not application/json.');
export const throttled: ResponseDoc = {
  description: 'AWS is throttling or briefly unavailable; retry.',
  body: 'Problem',
  headers: { 'Retry-After': 'Seconds to wait.' },
};
