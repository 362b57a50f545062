/**
 * The constraints ECS documents but its service model does not carry as traits, keyed by `Shape.member` of
 * ./register-task-definition.json. Each entry names its source: the model's own documentation of that member (the
 * text of https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_<Shape>.html), ECS's error message, or, where
 * ECS documents nothing, the rule Berth kept from before the schema came from the model.
 *
 * On a string a min/max bounds its length, on a list its number of items, on an integer its value. `values` on a list
 * of strings lists what each item may be.
 */

export interface Pattern {
  regex: RegExp;
  message: string;
}

export interface Constraint {
  min?: number;
  max?: number;
  patterns?: readonly Pattern[];
  /** Required although the model does not say so. */
  required?: true;
  /** The values a string, or each string of a list, may take (where the model has no enum). */
  values?: readonly string[];
  /** What an integer counts, for messages: "'stopTimeout' must be an integer from 0 to 120 (seconds)." */
  unit?: string;
  source: string;
}

const NAME: Pattern = {
  regex: /^[A-Za-z0-9_-]*$/,
  message: 'Use letters, numbers, hyphens and underscores.',
};
const UP_TO_255_NAME =
  'model doc: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."';

/** Tag keys and values: CloudFormation's AWS::ECS::TaskDefinition Tag anchors the model's pattern, which does not. */
const TAG_CHARACTERS: Pattern = {
  regex: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
  message: 'Use letters, numbers, spaces and + - = . _ : / @.',
};
const NOT_AWS: Pattern = {
  regex: /^(?![aA][wW][sS]:)/,
  message: "The prefix 'aws:' (in any case) is reserved for AWS use.",
};
const TAG_SOURCE =
  'model doc of RegisterTaskDefinitionRequest.tags: "Do not use aws:, AWS:, or any upper or lowercase combination of such as a prefix for either keys or values"; ' +
  'the model pattern, anchored as in CloudFormation AWS::ECS::TaskDefinition Tag';

const CAPABILITIES = [
  'ALL',
  'AUDIT_CONTROL',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'SYSLOG',
  'WAKE_ALARM',
] as const;

const TMPFS_MOUNT_OPTIONS = [
  'defaults',
  'ro',
  'rw',
  'suid',
  'nosuid',
  'dev',
  'nodev',
  'exec',
  'noexec',
  'sync',
  'async',
  'dirsync',
  'remount',
  'mand',
  'nomand',
  'atime',
  'noatime',
  'diratime',
  'nodiratime',
  'bind',
  'rbind',
  'unbindable',
  'runbindable',
  'private',
  'rprivate',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'relatime',
  'norelatime',
  'strictatime',
  'nostrictatime',
  'mode',
  'uid',
  'gid',
  'nr_inodes',
  'nr_blocks',
  'mpol',
] as const;

const BERTH_BEFORE = 'Berth before the model-derived schema (ECS documents no bound; a negative amount means nothing)';

export const CONSTRAINTS: Readonly<Record<string, Constraint>> = {
  'RegisterTaskDefinitionRequest.family': { max: 255, patterns: [NAME], source: UP_TO_255_NAME },
  'RegisterTaskDefinitionRequest.containerDefinitions': {
    min: 1,
    max: 10,
    source: 'ECS ClientException "Container list cannot be empty."; ECS quota: 10 containers per task definition',
  },
  'RegisterTaskDefinitionRequest.networkMode': {
    values: ['none', 'bridge', 'awsvpc', 'host'],
    source: 'model doc: "The valid values are none, bridge, awsvpc, and host." (the order messages list them in)',
  },
  'RegisterTaskDefinitionRequest.placementConstraints': {
    max: 10,
    source: 'model doc: "You can specify a maximum of 10 constraints for each task."',
  },
  'ContainerDefinition.name': {
    required: true,
    max: 255,
    patterns: [NAME],
    source: `ECS ClientException "Container.name should not be null or empty."; ${UP_TO_255_NAME}`,
  },
  'ContainerDefinition.image': {
    required: true,
    max: 255,
    source:
      'ECS ClientException "Container.image should not be null or empty."; model doc: "up to 255 characters total ... ' +
      'the 255 character limit applies only to the repository URL and image name (everything before the @ sign)"',
  },
  'ContainerDefinition.cpu': { min: 0, unit: 'CPU units', source: BERTH_BEFORE },
  'ContainerDefinition.memory': { min: 0, unit: 'MiB', source: BERTH_BEFORE },
  'ContainerDefinition.memoryReservation': { min: 0, unit: 'MiB', source: BERTH_BEFORE },
  'ContainerDefinition.startTimeout': { min: 0, unit: 'seconds', source: BERTH_BEFORE },
  'ContainerDefinition.stopTimeout': {
    min: 0,
    max: 120,
    unit: 'seconds',
    source: 'model doc: "the max stop timeout value is 120 seconds"',
  },
  'ContainerDefinition.environmentFiles': {
    max: 10,
    source: 'model doc: "You can specify up to ten environment files."',
  },
  'ContainerDefinition.credentialSpecs': { max: 1, source: 'model doc: "The maximum number of ARNs is 1."' },
  'PortMapping.containerPort': {
    min: 1,
    max: 65535,
    source: 'TCP and UDP port numbers; model doc of containerPortRange: "valid values are between 1 and 65535"',
  },
  'PortMapping.hostPort': {
    min: 0,
    max: 65535,
    source: 'model doc: "omit the hostPort (or set it to 0)"; port numbers end at 65535',
  },
  'PortMapping.name': {
    max: 64,
    patterns: [
      {
        regex: /^[a-z0-9_][a-z0-9_-]*$/,
        message: 'Use lowercase letters, numbers, underscores and hyphens, not starting with a hyphen.',
      },
    ],
    source:
      'model doc: "The name can include up to 64 characters. The characters can include lowercase letters, numbers, underscores (_), and hyphens (-). The name can\'t start with a hyphen."',
  },
  'KeyValuePair.name': {
    required: true,
    source: 'ECS ClientException "Environment variable name cannot be null or blank."',
  },
  'KeyValuePair.value': { required: true, source: 'Berth before the model-derived schema' },
  'ContainerRestartPolicy.ignoredExitCodes': {
    max: 50,
    source: 'model doc: "You can specify a maximum of 50 container exit codes."',
  },
  'ContainerRestartPolicy.restartAttemptPeriod': {
    min: 60,
    max: 1800,
    unit: 'seconds',
    source:
      'model doc: "a minimum restartAttemptPeriod of 60 seconds and a maximum restartAttemptPeriod of 1800 seconds"',
  },
  'LinuxParameters.maxSwap': {
    min: 0,
    unit: 'MiB',
    source: 'model doc: "Accepted values are 0 or any positive integer."',
  },
  'LinuxParameters.swappiness': {
    min: 0,
    max: 100,
    source: 'model doc: "Accepted values are whole numbers between 0 and 100."',
  },
  'KernelCapabilities.add': {
    values: CAPABILITIES,
    source: 'model doc: "Valid values: "ALL" | "AUDIT_CONTROL" | ..."',
  },
  'KernelCapabilities.drop': {
    values: CAPABILITIES,
    source: 'model doc: "Valid values: "ALL" | "AUDIT_CONTROL" | ..."',
  },
  'Tmpfs.mountOptions': { values: TMPFS_MOUNT_OPTIONS, source: 'model doc: "Valid values: "defaults" | "ro" | ..."' },
  'HealthCheck.interval': {
    min: 5,
    max: 300,
    unit: 'seconds',
    source: 'model doc: "You may specify between 5 and 300 seconds."',
  },
  'HealthCheck.timeout': {
    min: 2,
    max: 60,
    unit: 'seconds',
    source: 'model doc: "You may specify between 2 and 60 seconds."',
  },
  'HealthCheck.retries': { min: 1, max: 10, source: 'model doc: "You may specify between 1 and 10 retries."' },
  'HealthCheck.startPeriod': {
    min: 0,
    max: 300,
    unit: 'seconds',
    source: 'model doc: "You can specify between 0 and 300 seconds."',
  },
  'Volume.name': { max: 255, patterns: [NAME], source: UP_TO_255_NAME },
  'EphemeralStorage.sizeInGiB': {
    min: 21,
    max: 200,
    unit: 'GiB',
    source: 'model doc: "The minimum supported value is 21 GiB and the maximum supported value is 200 GiB."',
  },
  'Tag.key': {
    required: true,
    patterns: [TAG_CHARACTERS, NOT_AWS],
    source: `model doc of RegisterTaskDefinitionRequest.tags: "Each tag consists of a key and an optional value"; ${TAG_SOURCE}`,
  },
  'Tag.value': { patterns: [TAG_CHARACTERS, NOT_AWS], source: TAG_SOURCE },
};
