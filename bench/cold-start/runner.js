// Child process of the cold-start benchmark: loads one bundle, serves one event, reports timings.
// argv: bundle path, event JSON. Prints {"importMs","invokeMs","statusCode"} on stdout.
const { performance } = require('node:perf_hooks');
const [bundle, eventJson] = process.argv.slice(2);
const context = {
  awsRequestId: 'bench',
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 10000,
};
const t0 = performance.now();
const { handler } = require(bundle);
const t1 = performance.now();
Promise.resolve(handler(JSON.parse(eventJson), context)).then((result) => {
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, statusCode: result.statusCode }));
});
