/**
 * CannotStartContainerError, and the reasons it carries in the words ECS shows in a stopped container's `reason`.
 *
 * On EC2 the ECS agent reports a container that Docker could not start as `CannotStartContainerError: ` followed
 * by Docker's own error (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cannot-start-container.html;
 * observed: aws/amazon-ecs-cli#1136 "CannotStartContainerError: Error response from daemon: OCI runtime create
 * failed: ... exec: \"python\": executable file not found in $PATH: unknown"). Current Docker (containerd + runc)
 * words a failed exec as (Freika/dawarich#738, apocas/dockerode#654):
 *   Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime
 *   create failed: runc create failed: unable to start container process: exec: "nope": executable file not
 *   found in $PATH: unknown
 * with `stat ./x: no such file or directory` for a path that does not exist and `permission denied` for one that
 * cannot be executed (edp963/davinci-docker#23); runc looks a bare name up in $PATH and stats a name with a slash.
 * The reason is cut at 1024 characters, as the ECS agent cuts it before reporting it
 * (`ecsMaxContainerReasonLength` in aws/amazon-ecs-agent's ECS client; older agents cut at 255).
 */

export const ERROR_NAME = 'CannotStartContainerError';
export const MAX_REASON_LENGTH = 1024;

const DAEMON = `${ERROR_NAME}: Error response from daemon: `;
const RUNC =
  `${DAEMON}failed to create task for container: failed to create shim task: OCI runtime create failed: ` +
  'runc create failed: unable to start container process: ';

/** The container could not start. `reason` is what ECS would put in the container's `reason`. */
export class CannotStartContainerError extends Error {
  override readonly name: string = ERROR_NAME;
  readonly reason: string;
  constructor(reason: string, options?: ErrorOptions) {
    const cut = reason.length > MAX_REASON_LENGTH ? reason.slice(0, MAX_REASON_LENGTH) : reason;
    super(cut, options);
    this.reason = cut;
  }
}

/** The `code` of a Node system error (`ENOENT`, ...), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** A system error in the words Go's syscall package uses, which Docker and runc print. */
export function errnoDetail(err: unknown): string {
  switch (errnoCode(err)) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Go's %q for the names runc quotes (close enough for any printable name). */
const quote = (s: string) => JSON.stringify(s);

/** runc's words for an executable that `execve` refused with `code` (a Node `err.code` such as ENOENT). */
export function execFailedReason(executable: string, code: string | undefined): string {
  const exec = `exec: ${quote(executable)}: `;
  if (!executable.includes('/') && (code === 'ENOENT' || code === 'EACCES')) {
    return `${RUNC}${exec}executable file not found in $PATH: unknown`;
  }
  switch (code) {
    case 'ENOENT':
      return `${RUNC}${exec}stat ${executable}: no such file or directory: unknown`;
    case 'EACCES':
    case 'EPERM':
      return `${RUNC}${exec}permission denied: unknown`;
    case 'ENOEXEC':
      return `${RUNC}${exec}exec format error: unknown`;
    case 'ENOTDIR':
      return `${RUNC}${exec}stat ${executable}: not a directory: unknown`;
    case 'E2BIG':
      return `${RUNC}${exec}argument list too long: unknown`;
    case 'EINVAL':
      return `${RUNC}${exec}invalid argument: unknown`;
    default:
      return `${RUNC}${exec}${code ?? 'unknown error'}: unknown`;
  }
}

/** runc's words for a working directory it cannot enter. */
export function chdirFailedReason(dir: string, detail: string): string {
  return `${RUNC}error during container init: chdir to cwd (${quote(dir)}) set in config.json failed: ${detail}: unknown`;
}

/** Docker's words for a container with neither an entrypoint nor a command. */
export function noCommandReason(): string {
  return `${DAEMON}No command specified`;
}

/** Docker's words when the container's log cannot be opened. */
export function loggingDriverReason(detail: string): string {
  return `${DAEMON}failed to initialize logging driver: ${detail}`;
}

/** A reason given by a test (`berth.simulate.fail-to-start`): kept as is when it already names an ECS error. */
export function givenReason(reason: string): string {
  return /^[A-Z][A-Za-z]*Error:/.test(reason) ? reason : `${ERROR_NAME}: ${reason}`;
}

/** Berth's own words for a container it refuses to start (bad steering labels or variables). */
export function berthReason(problems: string[]): string {
  return `${ERROR_NAME}: ${problems.join('; ')}`;
}
