/**
 * Child process of the ECS endpoint benchmark: the ceiling. A bare Node HTTP server that reads each request
 * in full and answers 200 with a fixed JSON body per X-Amz-Target (the bodies file, first argument, maps a
 * target to the body Berth or moto gave for it), so the client parses the same bytes it does from a real
 * endpoint. Prints `{"url": ...}` on one line once it listens.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const bodiesFile = process.argv[2];
if (bodiesFile === undefined) throw new Error('usage: bare-server.ts <bodies.json>');
const bodies = new Map(
  Object.entries(JSON.parse(readFileSync(bodiesFile, 'utf8')) as Record<string, string>).map(([target, body]) => [
    target,
    Buffer.from(body),
  ]),
);
const empty = Buffer.from('{}');

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const target = req.headers['x-amz-target'];
    const body = (typeof target === 'string' ? bodies.get(target) : undefined) ?? empty;
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': body.length,
      'x-amzn-RequestId': '00000000-0000-4000-8000-000000000000',
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
