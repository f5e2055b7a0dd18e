import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The METRICS_PORT listener. */
export interface MetricsListener {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics from `source` on a port of its own (METRICS_PORT), for a Prometheus that
 * scrapes inside the private network; everything else is 404. Unauthenticated: bind it where only
 * the scraper reaches, or use METRICS_TOKEN on the API's port instead.
 */
export async function serveMetrics(
  source: () => Promise<{ text: string; contentType: string }>,
  host: string,
  port: number,
): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    source().then(
      ({ text, contentType }) => {
        response.writeHead(200, { 'content-type': contentType }).end(text);
      },
      () => {
        response
          .writeHead(503, { 'content-type': 'text/plain' })
          .end('metrics are not available; try again\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
