/**
 * A whole run on the docker runtime, over HTTP against the real local stack (`npm start` with
 * BERTH_ECS_RUNTIME=docker): POST /task-definitions with the imported test image, POST /runs, the workflow, the
 * local ECS running the image in Docker, GET /runs/{id} with the exit codes Docker reported, and the container's
 * output in GET /runs/{id}/logs. Skipped with a
 * message when no Docker daemon answers (failed under CI=true), as the conformance suite is.
 */
import { describeWithDocker, ensureTestImage, TEST_IMAGE } from '../conformance/docker-image';
import { type Stack, startStack } from './stack';

jest.setTimeout(180_000);

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
const json = (res: Response): Promise<any> => res.json();

describeWithDocker('runs on the docker runtime', () => {
  let stack: Stack;

  beforeAll(async () => {
    ensureTestImage();
    stack = await startStack({
      env: { BERTH_ECS_RUNTIME: 'docker', BERTH_SFN_TIME_SCALE: '0.05', BERTH_SFN_ECS_POLL_MS: '50' },
    });
    const registered = await fetch(`${stack.api}/task-definitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        family: 'docker-run',
        requiresCompatibilities: ['EC2'],
        networkMode: 'bridge',
        containerDefinitions: [
          { name: 'main', image: TEST_IMAGE, memory: 64, command: ['sh', '-c', 'echo in-docker; exit 0'] },
        ],
      }),
    });
    expect(registered.status).toBe(201);
  });

  afterAll(async () => {
    await stack?.kill();
  });

  // biome-ignore lint/suspicious/noExplicitAny: run views are asserted on, not typed.
  async function finished(body: unknown): Promise<{ runId: string; view: any }> {
    const res = await fetch(`${stack.api}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const { runId } = await json(res);
    expect(res.status).toBe(202);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const view = await json(await fetch(`${stack.api}/runs/${runId}`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(view.status)) return { runId, view };
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function taskLog(taskArn: string): Promise<string> {
    const res = await fetch(stack.aws, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'BerthLocal.GetTaskLog' },
      body: JSON.stringify({ task: taskArn }),
    });
    return (await json(res)).log;
  }

  /** The run's log lines (GET /runs/{id}/logs), read again until `done` says they are all there (bounded). */
  async function runLogMessages(runId: string, done: (messages: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await json(await fetch(`${stack.api}/runs/${runId}/logs`));
      const messages = (page.events ?? []).map((e: { message: string }) => e.message);
      if (done(messages) || Date.now() > deadline) return messages;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('runs the image to SUCCEEDED, and a non-zero exit to FAILED with the exit code Docker reported', async () => {
    const ok = await finished({ taskDefinition: 'docker-run' });
    expect(ok.view.status).toBe('SUCCEEDED');
    const okAttempt = ok.view.attempts.at(-1);
    expect(okAttempt).toMatchObject({ containers: [{ name: 'main', exitCode: 0 }] });
    const okTask = okAttempt.taskArns[0];
    // The task's log says where the container ran; its output is in the run's logs (Berth gave the definition the
    // stage's awslogs configuration at registration).
    expect(await taskLog(okTask)).toContain('[berth] container main runs in docker: BERTH_ECS_RUNTIME=docker');
    expect(await runLogMessages(ok.runId, (messages) => messages.includes('in-docker'))).toEqual(['in-docker']);

    const failed = await finished({
      taskDefinition: 'docker-run',
      overrides: { containerOverrides: [{ name: 'main', command: ['sh', '-c', 'exit 3'] }] },
      retry: { attempts: 1 },
    });
    expect(failed.view.status).toBe('FAILED');
    expect(failed.view.attempts).toHaveLength(1);
    expect(failed.view.attempts[0]).toMatchObject({ containers: [{ name: 'main', exitCode: 3 }] });
  });
});
