/**
 * The model-derived part of the task definition schema: the committed shapes are what the generator makes from
 * the installed botocore model, and every overlay entry names a real member and its source.
 */

import {
  findInstalledModel,
  type ModelShape,
  readModel,
  type TrimmedModel,
  trimModel,
} from '../../../lib/task-definition/model/generate';
import { CONSTRAINTS } from '../../../lib/task-definition/model/overlay';
import COMMITTED from '../../../lib/task-definition/model/register-task-definition.json';
import { ContainerDefinitionInputSchema, TaskDefinitionInputSchema } from '../../../lib/task-definition/schema';

const committed = COMMITTED as TrimmedModel;
const installed = findInstalledModel();

describe('the committed model (lib/task-definition/model/register-task-definition.json)', () => {
  (installed ? it : it.skip)(
    installed
      ? 'is what generate.ts makes from the installed botocore model'
      : 'is what generate.ts makes from the installed botocore model (SKIPPED: no botocore ECS model is installed)',
    () => {
      expect(trimModel(readModel(installed!))).toEqual(committed);
    },
  );

  it('holds every shape its structures, lists and maps refer to, and no other', () => {
    const reached = new Set<string>();
    const visit = (name: string) => {
      if (reached.has(name)) return;
      reached.add(name);
      const shape: ModelShape | undefined = committed.shapes[name];
      expect([name, shape]).not.toEqual([name, undefined]);
      if (shape?.type === 'structure') for (const m of Object.values(shape.members)) visit(m.shape);
      if (shape?.type === 'list') visit(shape.member);
      if (shape?.type === 'map') [shape.key, shape.value].forEach(visit);
    };
    visit(committed.root);
    expect([...reached].sort()).toEqual(Object.keys(committed.shapes).sort());
  });

  it('gives the schema every member of the task and the container, as the model lists them', () => {
    const members = (name: string) => Object.keys((committed.shapes[name] as { members: object }).members);
    expect(Object.keys(TaskDefinitionInputSchema.shape)).toEqual(members('RegisterTaskDefinitionRequest'));
    expect(Object.keys(ContainerDefinitionInputSchema.shape)).toEqual(members('ContainerDefinition'));
  });
});

describe('the overlay of documented constraints (lib/task-definition/model/overlay.ts)', () => {
  it.each(Object.entries(CONSTRAINTS))('%s names a member of the model and its source', (key, constraint) => {
    const [shape, member] = key.split('.');
    const structure = committed.shapes[shape!];
    expect(structure?.type).toBe('structure');
    expect(Object.keys((structure as { members: object }).members)).toContain(member);
    expect(constraint.source.length).toBeGreaterThan(10);
  });
});

describe('trimModel', () => {
  const model = (shapes: Parameters<typeof trimModel>[0]['shapes']) => ({
    metadata: { serviceId: 'ECS', apiVersion: '2014-11-13' },
    shapes,
  });

  it('keeps the traits validation needs and drops documentation', () => {
    const trimmed = trimModel(
      model({
        RegisterTaskDefinitionRequest: {
          type: 'structure',
          required: ['family'],
          members: { family: { shape: 'Name', documentation: 'doc' }, old: { shape: 'Name', deprecated: true } },
          documentation: 'doc',
        },
        Name: { type: 'string', min: 1, max: 255, pattern: '[a-z]*', documentation: 'doc' },
        Unused: { type: 'string' },
      }),
    );
    expect(trimmed.shapes).toEqual({
      RegisterTaskDefinitionRequest: {
        type: 'structure',
        required: ['family'],
        members: { family: { shape: 'Name' }, old: { shape: 'Name', deprecated: true } },
      },
      Name: { type: 'string', min: 1, max: 255, pattern: '[a-z]*' },
    });
  });

  it('refuses a kind of member the schema does not handle, instead of letting it through', () => {
    const withTimestamp = model({
      RegisterTaskDefinitionRequest: { type: 'structure', members: { at: { shape: 'Timestamp' } } },
      Timestamp: { type: 'timestamp' },
    });
    expect(() => trimModel(withTimestamp)).toThrow(
      'Shape Timestamp has type timestamp, which the task definition schema does not handle.',
    );
  });
});
