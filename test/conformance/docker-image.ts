/**
 * The Docker test suite's image and its skip rule. No registry is reachable from CI: the image is made from the
 * host's static busybox (Debian's busybox-static) and its applet links, `tar | docker import`, once per daemon.
 * Its CMD prints `image-cmd`, so tests can tell the image's command from the definition's.
 *
 * dockerAvailable() answers synchronously (jest picks `describe` or `describe.skip` while it loads the file):
 * without a daemon the suite is skipped with a message, except under CI=true, where a missing daemon fails it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_IMAGE = 'berth-test/busybox:1';
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((file) => existsSync(file));

export type DockerProbe = { ok: true } | { ok: false; why: string };

export function dockerAvailable(): DockerProbe {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000, encoding: 'utf8' });
  if (info.error || info.status !== 0) {
    return { ok: false, why: `no Docker daemon answers (docker info: ${(info.error?.message ?? info.stderr).trim()})` };
  }
  if (BUSYBOX === undefined) return { ok: false, why: 'no static busybox to make the test image (busybox-static)' };
  return { ok: true };
}

/** Imports TEST_IMAGE unless the daemon has it. */
export function ensureTestImage(): void {
  if (spawnSync('docker', ['image', 'inspect', TEST_IMAGE], { stdio: 'ignore' }).status === 0) return;
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-busybox-'));
  try {
    // mkdtemp makes the directory 0700: as the image's root it would shut out every user but root.
    chmodSync(root, 0o755);
    mkdirSync(path.join(root, 'bin'), { mode: 0o755 });
    mkdirSync(path.join(root, 'work'), { mode: 0o755 });
    mkdirSync(path.join(root, 'tmp'));
    chmodSync(path.join(root, 'tmp'), 0o1777);
    copyFileSync(BUSYBOX!, path.join(root, 'bin', 'busybox'));
    const applets = execFileSync(BUSYBOX!, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const applet of applets) {
      if (applet !== 'busybox') symlinkSync('busybox', path.join(root, 'bin', applet));
    }
    execFileSync(
      'sh',
      [
        '-c',
        `tar -C "$0" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["echo","image-cmd"]' - "$1"`,
        root,
        TEST_IMAGE,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * `describe` when Docker can run the suite, else `describe.skip` after saying why; under CI=true a missing daemon
 * is a failure, not a skip.
 */
export function describeWithDocker(name: string, body: () => void): void {
  const probe = dockerAvailable();
  if (probe.ok) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a Docker daemon (CI=true: .ci/run starts one)', () => {
        throw new Error(`The Docker suite cannot run in CI: ${probe.why}`);
      });
    });
    return;
  }
  console.warn(`[berth] skipping "${name}": ${probe.why}. .ci/run starts a daemon; see docs/development.md.`);
  describe.skip(name, body);
}
