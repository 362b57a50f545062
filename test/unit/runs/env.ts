/** The stage environment the /runs handlers read at cold start: import before the handlers. */
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:berth-test-run-task';

Object.assign(process.env, {
  BERTH_RUN_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
  BERTH_CLUSTER: 'default',
  BERTH_RUN_CLUSTERS: 'default,batch,arn:aws:ecs:us-east-1:123456789012:cluster/spot',
  BERTH_SUBNETS: 'subnet-1,subnet-2',
  BERTH_SECURITY_GROUPS: 'sg-1',
  BERTH_CAPACITY_WAIT_SECONDS: '600',
  BERTH_CAPACITY_CHECK_INTERVAL_SECONDS: '30',
  BERTH_RUN_FAMILIES: 'anjana-*,ingest',
  BERTH_RUN_LOG_GROUP: '/berth/test/runs',
  BERTH_READABLE_LOG_GROUPS: '/team/*',
  BERTH_RUNS_TABLE: 'berth-test-runs',
  BERTH_QUEUES_TABLE: 'berth-test-queues',
});
