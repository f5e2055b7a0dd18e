import { connect } from 'node:net';

/** A response read off a raw socket: status, lower-cased headers, the body parsed as JSON. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** The connection was closed by the server after the response. */
  closed: boolean;
}

/**
 * Writes `bytes` to the server of `baseUrl` as they are — for requests no HTTP client would send
 * (unknown methods, broken chunked framing, malformed escapes) — and reads the first response.
 * Rejects when the server closes the connection without answering.
 */
export function rawRequest(baseUrl: string, bytes: string | Buffer): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      if (!Number.isInteger(status)) {
        reject(new Error(`no response, only ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const headers = Object.fromEntries(
        headerLines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      const body = rest.join('\r\n\r\n');
      resolve({ status, headers, body: JSON.parse(body) as Record<string, unknown>, closed: true });
    });
    socket.end(bytes);
  });
}
