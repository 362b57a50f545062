// Tests never reach AWS: fixed dummy credentials and region for every SDK client.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_REGION ??= 'us-east-1';
// Handlers log JSON through Powertools; keep test output readable unless asked.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Local Node is 20 (Lambda runs 22+); the SDK's notice about Node 20 support says nothing about Berth.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
