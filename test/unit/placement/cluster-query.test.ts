import {
  type ClusterQuery,
  dependsOnTaskGroups,
  evaluateClusterQuery,
  matchesClusterQuery,
  parseClusterQuery,
  parseQueryDate,
} from '../../../lib/placement/cluster-query';
import { ClusterQueryError, PlacementParameterError } from '../../../lib/placement/errors';
import type { ClusterQueryTarget } from '../../../lib/placement/types';

/** A t2.small in us-east-1a running one task of service:production; each case changes one thing. */
const target = (fields: Partial<ClusterQueryTarget> = {}): ClusterQueryTarget => ({
  ec2InstanceId: 'i-abcd1234',
  agentConnected: true,
  agentVersion: '1.51.0',
  attributes: {
    'ecs.instance-type': 't2.small',
    'ecs.availability-zone': 'us-east-1a',
    stack: 'prod',
    cores: '16',
    owner: 'data team',
    'ecs.capability.task-eni': undefined,
  },
  runningTasksCount: 1,
  registeredAt: '2018-06-18T22:28:28Z',
  taskGroups: ['service:production', 'family:web'],
  ...fields,
});

function errorOf(expression: string): ClusterQueryError {
  try {
    parseClusterQuery(expression);
  } catch (error) {
    if (error instanceof ClusterQueryError) return error;
    throw error;
  }
  throw new Error(`expected '${expression}' not to parse`);
}

describe('parseClusterQuery', () => {
  it.each([
    // Every example on the ECS "Cluster query language" page.
    'attribute:ecs.instance-type == t2.small',
    'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]',
    'attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d',
    'task:group == service:production',
    'not(task:group == database)',
    'runningTasksCount == 1',
    'agentVersion < 1.14.5',
    'registeredAt < 2018-02-13',
    "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
    '(attribute:a == 1 or attribute:b == 2) and attribute:c == 3',
    // Word operators and the other forms.
    'attribute:stack equals prod',
    'attribute:stack not_equals prod',
    'attribute:cores greater_than 4',
    'attribute:cores greater_than_equal 4',
    'attribute:cores less_than 4',
    'attribute:cores less_than_equal 4',
    'attribute:stack exists',
    'attribute:stack !exists',
    'attribute:stack not_exists',
    'attribute:stack not_in [dev, test]',
    'attribute:stack !in [dev]',
    'attribute:ecs.instance-type matches t2.*',
    'attribute:ecs.instance-type not_matches t2.*',
    'attribute:ecs.instance-type !~ t2.*',
    'agentConnected == false',
    'registeredAt >= 2018-06-18T22:28:28+00:00',
    'registeredAt > 2018-06-18T22:28:28Z',
    'registeredAt <= 2018-06-18T22:28:28',
    // Spacing, quoting and symbols.
    'attribute:a==1&&attribute:b==2',
    'attribute:a == 1 || attribute:b == 2',
    '!attribute:a == 1',
    'not attribute:a == 1',
    "attribute:owner == 'data team'",
    'attribute:owner == "data team"',
    "attribute:ecs.instance-type =~ 't2\\.(micro|small)'",
    'attribute:team/sub-team_1\\x == a',
    '  attribute:a   in[ a ,b ]  ',
  ])('parses %s', (expression) => {
    expect(() => parseClusterQuery(expression)).not.toThrow();
  });

  it('binds not tighter than and, and and tighter than or', () => {
    const eq = (attribute: string) => ({ kind: 'compare', subject: 'attribute', attribute, operator: '==' });
    expect(parseClusterQuery('attribute:a == 1 or not attribute:b == 2 and attribute:c == 3')).toMatchObject({
      kind: 'or',
      left: eq('a'),
      right: { kind: 'and', left: { kind: 'not', operand: eq('b') }, right: eq('c') },
    });
  });

  it('keeps list items, strips quotes and anchors patterns', () => {
    const list = parseClusterQuery("ec2InstanceId in ['i-abcd1234', i-wxyx7890]") as ClusterQuery & {
      values: string[];
    };
    expect(list.values).toEqual(['i-abcd1234', 'i-wxyx7890']);
    const match = parseClusterQuery('attribute:ecs.instance-type =~ t2.*') as ClusterQuery & { pattern: RegExp };
    expect(match.pattern.source).toBe('^(?:t2.*)$');
  });

  it.each([
    ['', 'the expression is empty', 0],
    ['   ', 'the expression is empty', 3],
    ['attribute:ecs.instance-type', 'expected an operator after attribute:ecs.instance-type', 27],
    ['attribute:ecs.instance-type ==', "expected a value after '=='", 30],
    ['instanceType == t2.small', "unknown subject 'instanceType'", 0],
    ['attribute: == x', "invalid attribute name ''", 0],
    ['attribute:x lessthan 3', "unknown operator 'lessthan' after attribute:x", 12],
    ['attribute:x in us-east-1a', "'in' expects a list such as [a, b]", 15],
    ['attribute:x in [a, b', "missing ']'", 20],
    ['attribute:x in [a b]', "expected ',' or ']' before 'b]'", 18],
    ['attribute:x in []', 'the list is empty', 16],
    ['(attribute:x == a', "missing ')'", 17],
    ['attribute:x == a)', "unexpected ')'", 16],
    ['attribute:x == a AND attribute:y == b', "unexpected 'AND attribute:y == b'", 17],
    ['attribute:x == a AND attribute:y == bb', "unexpected 'AND attribute:y == b...'", 17],
    ['attribute:x == a and', 'expected a subject at the end', 20],
    ['attribute:x == a and or', "unknown subject 'or'", 21],
    ['attribute:x == a and )', "expected a subject before ')'", 21],
    ['attribute:x =~ t2.(micro)', "unexpected '(micro)'", 18],
    ["attribute:x == 'unterminated", 'unterminated string', 15],
    ["attribute:x =~ 't2.('", "invalid pattern 't2.('", 15],
    ['ec2InstanceId > i-1', "operator '>' is not valid for ec2InstanceId", 14],
    ['agentConnected exists', "operator 'exists' is not valid for agentConnected", 15],
    ['runningTasksCount in [1, 2]', "operator 'in' is not valid for runningTasksCount", 18],
    ['task:group > a', "operator '>' is not valid for task:group", 11],
    ['runningTasksCount > many', "runningTasksCount needs a whole number, not 'many'", 20],
    ['registeredAt < yesterday', "invalid date 'yesterday'", 15],
    ['registeredAt < 2018-13-45', "invalid date '2018-13-45'", 15],
    ['agentVersion < latest', "invalid agent version 'latest'", 15],
  ])('rejects %j: %s', (expression, detail, position) => {
    const error = errorOf(expression);
    expect(error).toBeInstanceOf(PlacementParameterError);
    expect(error.message.startsWith(`Invalid cluster query expression '${expression}': ${detail}`)).toBe(true);
    expect(error.message.endsWith(` (at position ${position}).`)).toBe(true);
    expect(error.position).toBe(position);
    expect(error.expression).toBe(expression);
  });
});

describe('evaluateClusterQuery', () => {
  it.each<[string, Partial<ClusterQueryTarget>, boolean]>([
    // attribute: equality, lists, patterns (the whole value must match, as Java's String.matches)
    ['attribute:ecs.instance-type == t2.small', {}, true],
    ['attribute:ecs.instance-type equals t2.micro', {}, false],
    ['attribute:ecs.instance-type =~ t2.*', {}, true],
    ['attribute:ecs.instance-type =~ t2', {}, false],
    ['attribute:ecs.instance-type =~ small', {}, false],
    ["attribute:ecs.instance-type =~ 't[23]\\.(micro|small)'", {}, true],
    ['attribute:ecs.instance-type matches t3.*', {}, false],
    ['attribute:ecs.instance-type !~ m5.*', {}, true],
    ['attribute:ecs.instance-type not_matches t2.*', {}, false],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', {}, true],
    ['attribute:ecs.availability-zone !in [us-east-1a]', {}, false],
    ['attribute:ecs.availability-zone not_in [us-east-1c]', {}, true],
    ["attribute:owner == 'data team'", {}, true],
    // negative operators need the attribute (the page's `attribute:stack != prod` example)
    ['attribute:stack != prod', {}, false],
    ['attribute:stack != dev', {}, true],
    ['attribute:team != data', {}, false],
    ['attribute:team !in [data]', {}, false],
    ['attribute:team !~ data', {}, false],
    ['not(attribute:team == data)', {}, true],
    ['attribute:team exists', {}, false],
    ['attribute:team !exists', {}, true],
    ['attribute:ecs.capability.task-eni exists', {}, true], // an attribute without a value exists
    ['attribute:ecs.capability.task-eni == x', {}, false],
    // ordered comparisons on attributes: numeric when both sides are numbers
    ['attribute:cores > 4', {}, true],
    ['attribute:cores <= 16', {}, true],
    ['attribute:stack > pre', {}, true],
    ['attribute:cores > 4', { attributes: {} }, false],
    // ec2InstanceId and agentConnected
    ["ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", {}, true],
    ['ec2InstanceId == i-wxyx7890', {}, false],
    ['ec2InstanceId =~ i-abcd.*', {}, true],
    ['ec2InstanceId != i-abcd1234', { ec2InstanceId: undefined }, false],
    ['agentConnected == true', {}, true],
    ['agentConnected == true', { agentConnected: false }, false],
    ['agentConnected != true', { agentConnected: false }, true],
    // runningTasksCount, registeredAt, agentVersion
    ['runningTasksCount == 1', {}, true],
    ['runningTasksCount > 1', {}, false],
    ['runningTasksCount <= 1', {}, true],
    ['runningTasksCount != 0', { runningTasksCount: 0 }, false],
    ['registeredAt < 2018-06-19', {}, true],
    ['registeredAt < 2018-02-13', {}, false],
    ['registeredAt > 2018-06-18T22:28:28+00:00', {}, false],
    ['registeredAt >= 2018-06-18T22:28:28', {}, true],
    ['registeredAt == 2018-06-18T23:28:28+01:00', {}, true],
    ['registeredAt < 2018-06-19', { registeredAt: new Date('2018-06-20T00:00:00Z') }, false],
    ['registeredAt < 2018-06-19', { registeredAt: Date.UTC(2018, 5, 1) }, true],
    ['registeredAt < 2018-06-19', { registeredAt: undefined }, false],
    ['agentVersion < 1.14.5', {}, false],
    ['agentVersion < 1.14.5', { agentVersion: '1.9.0' }, true],
    ['agentVersion >= 1.51', {}, true],
    ['agentVersion == 1.51.0', {}, true],
    ['agentVersion < 2', { agentVersion: undefined }, false],
    // task:group holds when any task group on the instance matches
    ['task:group == service:production', {}, true],
    ['task:group == database', {}, false],
    ['task:group in [database, family:web]', {}, true],
    ['task:group =~ family:.*', {}, true],
    ['task:group != database', {}, true],
    ['task:group != service:production', {}, false],
    ['task:group != database', { taskGroups: [] }, false],
    ['not(task:group == database)', { taskGroups: [] }, true],
    ['task:group exists', {}, true],
    ['task:group !exists', { taskGroups: [] }, true],
    // compound expressions and precedence
    ['attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d', {}, false],
    ['attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d', {}, true],
    ['attribute:ecs.instance-type == m5.large or attribute:stack == prod', {}, true],
    ['attribute:ecs.instance-type == m5.large || attribute:stack == dev', {}, false],
    ['attribute:stack == prod && runningTasksCount == 1', {}, true],
    ['!attribute:stack == prod', {}, false],
    ['not attribute:stack == dev and attribute:stack == prod', {}, true],
    ['attribute:stack == dev and attribute:stack == prod or runningTasksCount == 1', {}, true],
    ['attribute:stack == dev and (attribute:stack == prod or runningTasksCount == 1)', {}, false],
    ['not(not(attribute:stack == prod))', {}, true],
  ])('%s on %j is %s', (expression, fields, expected) => {
    expect(evaluateClusterQuery(parseClusterQuery(expression), target(fields))).toBe(expected);
    expect(matchesClusterQuery(expression, target(fields))).toBe(expected);
  });
});

describe('dependsOnTaskGroups', () => {
  it.each([
    ['attribute:stack == prod', false],
    ['runningTasksCount == 0 or attribute:a exists', false],
    ['not(task:group == database)', true],
    ['attribute:a exists and (runningTasksCount == 0 or task:group exists)', true],
  ])('%s: %s', (expression, expected) => {
    expect(dependsOnTaskGroups(parseClusterQuery(expression))).toBe(expected);
  });
});

describe('parseQueryDate', () => {
  it.each([
    ['2018-06-18T22:28:28+00:00', Date.UTC(2018, 5, 18, 22, 28, 28)],
    ['2018-06-18T22:28:28-02:00', Date.UTC(2018, 5, 19, 0, 28, 28)],
    ['2018-06-18T22:28:28Z', Date.UTC(2018, 5, 18, 22, 28, 28)],
    ['2018-06-18T22:28:28', Date.UTC(2018, 5, 18, 22, 28, 28)],
    ['2018-06-18', Date.UTC(2018, 5, 18)],
    ['18/06/2018', undefined],
    ['2018-06-18 22:28:28', undefined],
  ])('%s', (text, expected) => {
    expect(parseQueryDate(text)).toBe(expected);
  });
});
