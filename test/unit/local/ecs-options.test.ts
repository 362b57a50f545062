/** BERTH_ECS_RUNTIME as the local ECS reads it at start: auto by default, a bad value fails the start by name. */
import { ecsOptionsFromEnv } from '../../../local/ecs/options';

describe('BERTH_ECS_RUNTIME', () => {
  it.each([
    [undefined, 'auto'],
    ['', 'auto'],
    ['docker', 'docker'],
    [' process ', 'process'],
    ['simulate', 'simulate'],
  ])('%j reads as %s', (value, runtime) => {
    expect(ecsOptionsFromEnv(value === undefined ? {} : { BERTH_ECS_RUNTIME: value }).runtime).toBe(runtime);
  });

  it('fails the start on any other value, naming the variable and the choices', () => {
    expect(() => ecsOptionsFromEnv({ BERTH_ECS_RUNTIME: 'podman' })).toThrow(
      'BERTH_ECS_RUNTIME must be one of auto, docker, process, simulate, got "podman"',
    );
  });
});
