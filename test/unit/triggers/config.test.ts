/** The trigger file: every problem reported with the trigger it is in and its path; templates and their paths. */
import { formatTriggerProblems, parseTriggerFile, type TriggerProblem } from '../../../lib/triggers/config';
import { findTemplates, resolveTemplate, TemplateResolutionError } from '../../../lib/triggers/template';

const run = { taskDefinition: 'anjana-educative:1' };
const schedule = (expression: string, extra: Record<string, unknown> = {}) => ({
  triggers: { nightly: { schedule: { expression, ...extra }, run } },
});
const problems = (document: unknown): TriggerProblem[] => {
  const result = parseTriggerFile(document);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
};
const env = (value: unknown) => ({
  taskDefinition: 'ingest',
  overrides: { containerOverrides: [{ name: 'ingest', environment: [{ name: 'KEY', value }] }] },
});

describe('valid trigger files', () => {
  it('reads schedules and event triggers with their defaults', () => {
    const result = parseTriggerFile({
      triggers: {
        nightly: { schedule: { expression: 'cron(0 2 ? * MON-FRI *)', timeZone: 'Europe/Berlin' }, run },
        'on-upload': {
          description: 'Ingest each uploaded object',
          enabled: false,
          event: { pattern: { source: ['uploads'], 'detail-type': ['Object Created'] } },
          run: env({ $event: '$.detail.object.key' }),
        },
      },
    });
    expect(result).toEqual({
      ok: true,
      triggers: [
        {
          type: 'schedule',
          name: 'nightly',
          enabled: true,
          expression: 'cron(0 2 ? * MON-FRI *)',
          timeZone: 'Europe/Berlin',
          run,
        },
        {
          type: 'event',
          name: 'on-upload',
          description: 'Ingest each uploaded object',
          enabled: false,
          pattern: { source: ['uploads'], 'detail-type': ['Object Created'] },
          run: env({ $event: '$.detail.object.key' }),
        },
      ],
    });
  });

  it.each([[{}], [{ triggers: {} }], [{ triggers: null }], [null]])('an empty file has no triggers: %j', (doc) => {
    expect(parseTriggerFile(doc)).toEqual({ ok: true, triggers: [] });
  });

  it('accepts a template where a number belongs (its value is checked when the event fills it)', () => {
    const result = parseTriggerFile({
      triggers: { t: { event: { pattern: { source: ['x'] } }, run: { ...run, count: { $event: '$.detail.n' } } } },
    });
    expect(result.ok).toBe(true);
  });
});

describe('invalid triggers, each named', () => {
  it.each<[string, unknown, TriggerProblem[]]>([
    [
      'a bad cron expression',
      schedule('cron(0 10 * * * *)'),
      [
        {
          trigger: 'nightly',
          path: '$.schedule.expression',
          message:
            "Invalid schedule expression cron(0 10 * * * *): Exactly one of day-of-month and day-of-week must be '?': you can't specify both in the same cron expression.",
        },
      ],
    ],
    [
      'a bad rate expression',
      schedule('rate(1 minutes)'),
      [
        {
          trigger: 'nightly',
          path: '$.schedule.expression',
          message: 'Invalid schedule expression rate(1 minutes): A rate of 1 takes the singular unit: rate(1 minute).',
        },
      ],
    ],
    [
      'an unknown time zone',
      schedule('rate(1 day)', { timeZone: 'Mars/Olympus_Mons' }),
      [
        {
          trigger: 'nightly',
          path: '$.schedule.timeZone',
          message: 'Unknown time zone Mars/Olympus_Mons: give an IANA name such as Europe/Berlin.',
        },
      ],
    ],
    [
      'a run request that fails the POST /runs schema',
      { triggers: { nightly: { schedule: { expression: 'rate(1 day)' }, run: { ...run, count: 11, image: 'x' } } } },
      [
        { trigger: 'nightly', path: '$.run.count', message: "'count' must be an integer from 1 to 10." },
        { trigger: 'nightly', path: '$.run.image', message: 'Unknown parameter "image".' },
      ],
    ],
    [
      'a run request breaking a rule across fields',
      {
        triggers: {
          nightly: {
            schedule: { expression: 'rate(1 day)' },
            run: { ...run, launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'x' }] },
          },
        },
      },
      [
        {
          trigger: 'nightly',
          path: '$.run.capacityProviderStrategy',
          message: 'Specifying both a launch type and capacity provider strategy is not supported.',
        },
      ],
    ],
    [
      'a missing run request',
      { triggers: { nightly: { schedule: { expression: 'rate(1 day)' } } } },
      [{ trigger: 'nightly', path: '$.run', message: 'run is required: a run request, as the body of POST /runs.' }],
    ],
    [
      'both a schedule and an event',
      { triggers: { both: { schedule: { expression: 'rate(1 day)' }, event: { pattern: { source: ['x'] } }, run } } },
      [
        {
          trigger: 'both',
          path: '$',
          message: 'A trigger has exactly one of schedule (rate or cron) and event (an event pattern).',
        },
      ],
    ],
    [
      'an invalid event pattern',
      { triggers: { ev: { event: { pattern: { source: [] } }, run } } },
      [
        {
          trigger: 'ev',
          path: '$.event.pattern',
          message: 'Event pattern is not valid. Reason: Empty arrays are not allowed',
        },
      ],
    ],
    [
      'a template in a schedule',
      { triggers: { nightly: { schedule: { expression: 'rate(1 day)' }, run: env({ $event: '$.detail.key' }) } } },
      [
        {
          trigger: 'nightly',
          path: '$.run.overrides.containerOverrides[0].environment[0].value',
          message: 'Only event triggers take {"$event": ...} templates; a schedule has no event.',
        },
      ],
    ],
    [
      'a template path outside the event',
      { triggers: { ev: { event: { pattern: { source: ['x'] } }, run: env({ $event: '$.object.key' }) } } },
      [
        {
          trigger: 'ev',
          path: '$.run.overrides.containerOverrides[0].environment[0].value',
          message:
            "The event path $.object.key must start at one of the event's fields: version, id, detail-type, source, account, time, region, resources, detail.",
        },
      ],
    ],
    [
      'a template path with a wildcard',
      { triggers: { ev: { event: { pattern: { source: ['x'] } }, run: env({ $event: '$.detail.items[*]' }) } } },
      [
        {
          trigger: 'ev',
          path: '$.run.overrides.containerOverrides[0].environment[0].value',
          message:
            "The event path $.detail.items[*] is not valid at '[*]': use .name segments (letters, digits, _ - /) and [n] indices.",
        },
      ],
    ],
    [
      'a template with an unknown member',
      {
        triggers: {
          ev: { event: { pattern: { source: ['x'] } }, run: env({ $event: '$.detail.key', fallback: 'x' }) },
        },
      },
      [
        {
          trigger: 'ev',
          path: '$.run.overrides.containerOverrides[0].environment[0].value',
          message: 'A {"$event": ...} template takes only "default" besides; not fallback.',
        },
      ],
    ],
    [
      'a bad name and an unknown member',
      { triggers: { 'bad name!': { schedule: { expression: 'rate(1 day)' }, run, cron: 'x' } } },
      [
        {
          trigger: 'bad name!',
          path: '$',
          message:
            'A trigger name is 1 to 64 letters, digits, hyphens and underscores, starting with a letter or digit.',
        },
        { trigger: 'bad name!', path: '$.cron', message: 'Unknown parameter "cron".' },
      ],
    ],
  ])('%s', (_what, document, expected) => {
    expect(problems(document)).toEqual(expected);
  });

  it('reports every trigger, and formats each problem with its name', () => {
    const found = problems({
      triggers: {
        ok: { schedule: { expression: 'rate(1 day)' }, run },
        a: { schedule: { expression: 'cron(0 0 * * ? *' }, run },
        b: { event: { pattern: { source: ['x'] } }, run: {} },
      },
    });
    expect(formatTriggerProblems(found)).toBe(
      [
        'trigger "a" at $.schedule.expression: Invalid schedule expression cron(0 0 * * ? *: \'cron(0 0 * * ? *\' is neither rate(value unit) nor cron(fields).',
        'trigger "b" at $.run.taskDefinition: taskDefinition is required.',
      ].join('\n'),
    );
  });

  it("refuses an enabled trigger for a family outside the stage's runFamilies, in every way of naming it", () => {
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/payroll:3';
    const document = {
      triggers: {
        byFamily: { schedule: { expression: 'rate(1 day)' }, run: { taskDefinition: 'payroll' } },
        byRevision: { schedule: { expression: 'rate(1 day)' }, run: { taskDefinition: 'payroll:2' } },
        byArn: { schedule: { expression: 'rate(1 day)' }, run: { taskDefinition: arn } },
        disabled: { enabled: false, schedule: { expression: 'rate(1 day)' }, run: { taskDefinition: 'payroll' } },
        allowed: { schedule: { expression: 'rate(1 day)' }, run: { taskDefinition: 'team-a-report:4' } },
        fromEvent: { event: { pattern: { source: ['x'] } }, run: { taskDefinition: { $event: '$.detail.family' } } },
      },
    };
    const result = parseTriggerFile(document, { runFamilies: ['team-a-*', 'nightly'] });
    expect(result.ok).toBe(false);
    const message =
      "Family payroll is not in this stage's runFamilies (team-a-*, nightly): the trigger could never start a run.";
    expect(result.ok ? [] : result.problems).toEqual(
      ['byFamily', 'byRevision', 'byArn'].map((trigger) => ({ trigger, path: '$.run.taskDefinition', message })),
    );
    expect(parseTriggerFile(document, { runFamilies: ['*'] }).ok).toBe(true);
    expect(parseTriggerFile(document).ok).toBe(true);
  });

  it('refuses a file that is not a mapping of triggers', () => {
    expect(problems({ trigger: {} })).toEqual([{ path: '$.trigger', message: 'Unknown parameter "trigger".' }]);
    expect(problems([1])).toEqual([{ path: '$', message: 'The trigger file must be a mapping with `triggers:`.' }]);
  });
});

describe('templates', () => {
  const event = {
    id: 'e-1',
    source: 'uploads',
    'detail-type': 'Object Created',
    resources: ['arn:aws:s3:::bucket'],
    detail: { object: { key: 'in/a.csv', size: 3 }, tags: ['x', 'y'], 'content-type': 'text/csv' },
  };

  it('finds each template with its place in the request', () => {
    const { refs } = findTemplates({ a: [{ b: { $event: '$.detail.tags[1]' } }], c: { $event: '$.id', default: 'x' } });
    expect(refs).toEqual([
      { at: '$.a[0].b', eventPath: '$.detail.tags[1]', segments: ['detail', 'tags', 1] },
      { at: '$.c', eventPath: '$.id', segments: ['id'], default: 'x' },
    ]);
  });

  it.each<[unknown, unknown]>([
    [{ $event: '$.detail.object.key' }, 'in/a.csv'],
    [{ $event: '$.detail.object.size' }, 3],
    [{ $event: '$.detail.tags[1]' }, 'y'],
    [{ $event: '$.detail.content-type' }, 'text/csv'],
    [{ $event: '$.resources[0]' }, 'arn:aws:s3:::bucket'],
    [{ $event: '$.detail.object' }, { key: 'in/a.csv', size: 3 }],
    [{ $event: '$.detail.missing', default: 'none' }, 'none'],
    [
      [{ $event: '$.id' }, 'literal', { nested: { $event: '$.source' } }],
      ['e-1', 'literal', { nested: 'uploads' }],
    ],
  ])('resolves %j', (template, expected) => {
    expect(resolveTemplate(template, event)).toEqual(expected);
  });

  it('lists every template the event cannot fill', () => {
    const resolve = () =>
      resolveTemplate({ a: { $event: '$.detail.nope' }, b: [{ $event: '$.detail.tags[5]' }] }, event);
    expect(resolve).toThrow(TemplateResolutionError);
    expect(resolve).toThrow(
      '$.a: The event has no value at $.detail.nope and the template has no default.; $.b[0]: The event has no value at $.detail.tags[5] and the template has no default.',
    );
  });
});
