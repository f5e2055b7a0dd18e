/**
 * The HTTP floor of scenario 6 (see http-floor.ts): a bare Fastify on as many processes as sealog
 * serves with (node:cluster), answering every GET with the same bytes, read once from
 * FLOOR_BODY_FILE, as JSON. What it costs per request is the HTTP exchange alone: parsing, routing,
 * writing the answer and loopback TCP, with no authentication, query, presentation or serializing.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import Fastify from 'fastify';

const port = Number(process.env.FLOOR_PORT);
const processes = Number(process.env.FLOOR_PROCESSES ?? availableParallelism());

if (cluster.isPrimary) {
  for (let n = 0; n < processes; n++) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => {
    listening++;
    if (listening === processes) process.send?.('listening');
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
} else {
  const body = readFileSync(String(process.env.FLOOR_BODY_FILE));
  const app = Fastify({ logger: false });
  app.get('/*', (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
  await app.listen({ port, host: '127.0.0.1' });
}
