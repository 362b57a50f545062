// The baseline: a bare middy handler with nothing else in it.
import middy from '@middy/core';

export const handler = middy().handler(async () => ({ statusCode: 200, body: '{}' }));
