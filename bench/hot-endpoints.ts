import { request as httpRequest } from 'node:http';
import autocannon from 'autocannon';
import { TuyaSessionService } from '../src/domain/tuya-sessions.js';
import { CommunicationLogService } from '../src/kinds/communication-log/communication-log-service.js';
import { OperateLogService } from '../src/kinds/operate-log/operate-log-service.js';
import type { AuditStore } from '../src/domain/audit-store.js';
import { BIG_TENANT } from './data-generator.js';
import {
  mintToken,
  TUYA_CLIENT,
  TUYA_SDK_GET_BODY,
  TUYA_SECRET,
  tuyaAccessToken,
  tuyaSdkRequest,
} from './measure.js';
import { FILTERED_USER } from './query-scenarios.js';
import {
  captureStatements,
  measureReadCeiling,
  type CapturedStatement,
  type SqlParam,
  type StoreTarget,
} from './read-ceiling.js';
import type { ServerProcess } from './server-process.js';
import { measureHttpFloor } from './http-floor.js';

/** Concurrent keep-alive connections of each autocannon run (one request at a time on each). */
export const HOT_CONNECTIONS = 16;

/** One hot read endpoint: a GET of the largest tenant's first page. */
export interface HotEndpoint {
  name: string;
  api: 'authms' | 'tuya';
  path: string;
  query: Record<string, string>;
}

/** Scenario 6's endpoints: the AuthMS admin list, the same filtered by a user, the Tuya page. */
export const HOT_ENDPOINTS: readonly HotEndpoint[] = [
  {
    name: 'AuthMS admin list, page 1',
    api: 'authms',
    path: '/admin/communication/logs',
    query: { page_size: '20' },
  },
  {
    name: 'AuthMS admin list by user, page 1',
    api: 'authms',
    path: '/admin/communication/logs',
    query: { user_id: FILTERED_USER, page_size: '20' },
  },
  {
    name: 'Tuya operate logs, page 1 (SDK-signed)',
    api: 'tuya',
    path: '/v1.0/iot-03/audit/operate-logs',
    query: { size: '20' },
  },
];

/** The admin of the largest tenant every AuthMS request of the bench reads as (`sub` usr_admin0). */
const ADMIN = { subject: 'usr_admin0', tenantId: BIG_TENANT, roles: ['admin'] };
const TUYA_PROJECT = {
  clientId: TUYA_CLIENT,
  secret: TUYA_SECRET,
  tenantId: BIG_TENANT,
  allowLegacySignature: false,
};

/** One endpoint's figures over HTTP against one server. */
export interface HttpFigures {
  requestsPerSecond: number;
  /** Latency percentiles, in ms. */
  latencyP50: number;
  latencyP99: number;
  /** Answers other than 2xx (always 0: a run with any fails). */
  non2xx: number;
  /** Processes of the server during the run: 1, or a primary and its HTTP workers. */
  serverProcesses: number;
  /** CPU of the whole server (every process) during the run, in cores (CPU seconds per second); null: not measured. */
  serverCpuCores: number | null;
}

/** Scenario 6 for one endpoint: HTTP against the raw ceiling of the same statements. */
export interface HotEndpointResult extends HttpFigures {
  name: string;
  /** The request as sent, e.g. `GET /admin/communication/logs?page_size=20`. */
  request: string;
  connections: number;
  /** Length of the timed run, in seconds (of each process's loop for the ceiling). */
  seconds: number;
  /** Requests' worth of the store's statements per second straight through the driver (null: not measured). */
  ceilingPerSecond: number | null;
  /** OS processes the ceiling ran in, one connection each. */
  ceilingProcesses: number | null;
  /** requestsPerSecond / ceilingPerSecond, 2 decimals. */
  ratio: number | null;
  /**
   * Requests per second of a bare Fastify answering this endpoint's answer bytes from memory on as
   * many processes (http-floor.ts): the HTTP exchange alone (null: not measured).
   */
  httpFloorPerSecond: number | null;
  /** The statements of one request, as captured from the store and replayed for the ceiling. */
  ceilingStatements: { sql: string; params: SqlParam[] }[];
  /** The same endpoint against the --baseline checkout's server, on the same data (its ratio to the same ceiling). */
  baseline?: HttpFigures & { ratio: number | null };
}

/** A way to start a server under test: this checkout's, or the baseline's. */
export interface ServerStarter {
  label: 'current' | 'baseline';
  start(): Promise<ServerProcess>;
}

const wirePath = (endpoint: HotEndpoint) =>
  `${endpoint.path}?${new URLSearchParams(endpoint.query).toString()}`;

/** The request line as reported. */
export function requestLine(endpoint: HotEndpoint): string {
  return `GET ${wirePath(endpoint)}`;
}

/** The credentials one server accepts for an endpoint: an admin JWT, or a Tuya access token it issued. */
export async function credentialFor(server: ServerProcess, endpoint: HotEndpoint): Promise<string> {
  return endpoint.api === 'authms'
    ? mintToken({ tenant_id: BIG_TENANT, roles: ['admin'] }, ADMIN.subject)
    : tuyaAccessToken(server.url);
}

/** The autocannon request of an endpoint; a Tuya request is signed afresh (its own `t`) every time it is sent. */
function cannonRequest(endpoint: HotEndpoint, credential: string): autocannon.Request {
  if (endpoint.api === 'authms') {
    return { method: 'GET', path: wirePath(endpoint), headers: { authorization: `Bearer ${credential}` } };
  }
  const signed = () => tuyaSdkRequest(endpoint.path, endpoint.query, credential);
  return {
    method: 'GET',
    path: signed().path,
    body: TUYA_SDK_GET_BODY,
    setupRequest: (request) => ({ ...request, headers: signed().headers }),
  };
}

/** Tuya answers its errors with HTTP 200: only `success: true` is a success. */
const tuyaSucceeded = (body: unknown) => typeof body === 'string' && body.includes('"success":true');

/**
 * One request sent as autocannon sends it (the Tuya one SDK-signed afresh, with its `{}` body), so
 * a failure shows its answer rather than a count. Throws unless a 200 success; returns the body.
 */
export async function probe(
  server: ServerProcess,
  endpoint: HotEndpoint,
  credential: string,
  who: string,
): Promise<string> {
  const request = cannonRequest(endpoint, credential);
  const prepared = typeof request.setupRequest === 'function' ? request.setupRequest(request, {}) : request;
  const body = prepared.body ?? '';
  const headers = { ...prepared.headers, ...(body === '' ? {} : { 'content-length': body.length }) };
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const sent = httpRequest(
      `${server.url}${prepared.path ?? ''}`,
      { method: 'GET', headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: text });
        });
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
  if (answer.status !== 200 || (endpoint.api === 'tuya' && !tuyaSucceeded(answer.body))) {
    throw new Error(`${who}: ${answer.status} ${answer.body.slice(0, 500)}`);
  }
  return answer.body;
}

/** autocannon on one endpoint for `seconds`; throws on any answer but a 2xx success. */
async function cannon(
  server: ServerProcess,
  endpoint: HotEndpoint,
  credential: string,
  seconds: number,
  who: string,
): Promise<autocannon.Result> {
  const result = await autocannon({
    url: server.url,
    connections: HOT_CONNECTIONS,
    duration: seconds,
    requests: [cannonRequest(endpoint, credential)],
    ...(endpoint.api === 'tuya' ? { verifyBody: tuyaSucceeded } : {}),
  });
  const failures = {
    'non-2xx': result.non2xx,
    'Tuya errors (HTTP 200, success false)': result.mismatches,
    'connection errors': result.errors,
    timeouts: result.timeouts,
  };
  const failed = Object.entries(failures).filter(([, count]) => count > 0);
  if (failed.length > 0 || result.requests.total === 0) {
    throw new Error(
      `${who}: ${failed.map(([what, count]) => `${count} ${what}`).join(', ') || 'no request answered'} ` +
        `of ${result.requests.total}: a benchmark of error answers measures nothing`,
    );
  }
  return result;
}

/**
 * One endpoint against a fresh server: started, probed, warmed up for `warmupSeconds`, measured
 * for `seconds`, stopped. Returns its figures and the credential used (the Tuya token lives on in
 * the store, where the ceiling looks it up).
 */
async function measureOnce(
  starter: ServerStarter,
  endpoint: HotEndpoint,
  seconds: number,
  warmupSeconds: number,
): Promise<{ figures: HttpFigures; credential: string; answer: string }> {
  const server = await starter.start().catch((error: unknown) => {
    throw new Error(`the ${starter.label} server did not start`, { cause: error });
  });
  const who = `${endpoint.name}, ${starter.label} server`;
  try {
    const credential = await credentialFor(server, endpoint);
    const answer = await probe(server, endpoint, credential, who);
    // Also lets the HTTP workers that were still starting when /readyz first answered finish.
    await cannon(server, endpoint, credential, warmupSeconds, who);
    const cpuBefore = server.cpuSeconds();
    const serverProcesses = server.processCount();
    const result = await cannon(server, endpoint, credential, seconds, who);
    const cpu = server.cpuSeconds() - cpuBefore;
    return {
      credential,
      answer,
      figures: {
        requestsPerSecond: Math.round(result.requests.average),
        latencyP50: result.latency.p50,
        latencyP99: result.latency.p99,
        non2xx: result.non2xx,
        serverProcesses,
        serverCpuCores: Math.round((cpu / result.duration) * 100) / 100,
      },
    };
  } finally {
    await server.stop();
  }
}

/** What the server runs for one request of `endpoint`, through the same services, to capture its statements. */
function storeWork(endpoint: HotEndpoint, tuyaToken: string): (store: AuditStore) => Promise<void> {
  if (endpoint.api === 'authms') {
    return async (store) => {
      const page = await new CommunicationLogService(store).listForAdmin(ADMIN, {
        user_id: endpoint.query.user_id,
        page: 1,
        page_size: Number(endpoint.query.page_size),
      });
      if (page.rows.length === 0) throw new Error(`${endpoint.name}: the captured request found no rows`);
    };
  }
  return async (store) => {
    // The Tuya verifier looks the token up before the route pages (no nonce: the SDK sends none).
    const sessions = new TuyaSessionService(store, { tokenTtlSeconds: 7200, signWindowSeconds: 900 });
    const status = await sessions.check(TUYA_PROJECT, tuyaToken);
    if (status !== 'valid') throw new Error(`${endpoint.name}: the token the server issued is ${status}`);
    const page = await new OperateLogService(store).page(BIG_TENANT, { size: Number(endpoint.query.size) });
    if (page.rows.length === 0) throw new Error(`${endpoint.name}: the captured request found no rows`);
  };
}

const ratioOf = (requestsPerSecond: number, ceiling: number) =>
  ceiling > 0 ? Math.round((requestsPerSecond / ceiling) * 100) / 100 : null;

/**
 * Scenario 6. Each endpoint under autocannon (HOT_CONNECTIONS connections, loopback) against a
 * server of its own start, the baseline's first when there is one, then the current one's: never
 * two servers at once. Then, with every server stopped, the statements the store runs for each
 * request are captured and their raw ceiling measured for as long (measureReadCeiling).
 */
export async function hottestEndpoints(options: {
  current: ServerStarter;
  baseline?: ServerStarter | undefined;
  target: StoreTarget;
  seconds: number;
  warmupSeconds: number;
  /** A free port for the HTTP floor's server, started while no server under test runs. */
  floorPort: number;
}): Promise<HotEndpointResult[]> {
  const { seconds, warmupSeconds } = options;
  const http: { endpoint: HotEndpoint; current: HttpFigures; answer: string; baseline?: HttpFigures }[] = [];
  let tuyaToken = '';
  for (const endpoint of HOT_ENDPOINTS) {
    let baseline: HttpFigures | undefined;
    if (options.baseline !== undefined) {
      baseline = (await measureOnce(options.baseline, endpoint, seconds, warmupSeconds)).figures;
      process.stderr.write(`    ${endpoint.name}, baseline: ${baseline.requestsPerSecond} requests/s\n`);
    }
    const current = await measureOnce(options.current, endpoint, seconds, warmupSeconds);
    if (endpoint.api === 'tuya') tuyaToken = current.credential;
    process.stderr.write(`    ${endpoint.name}: ${current.figures.requestsPerSecond} requests/s\n`);
    http.push({
      endpoint,
      current: current.figures,
      answer: current.answer,
      ...(baseline ? { baseline } : {}),
    });
  }
  const captured: Record<string, CapturedStatement[]> = await captureStatements(
    options.target,
    Object.fromEntries(HOT_ENDPOINTS.map((endpoint) => [endpoint.name, storeWork(endpoint, tuyaToken)])),
  );
  const results: HotEndpointResult[] = [];
  for (const { endpoint, current, answer, baseline } of http) {
    const statements = captured[endpoint.name] ?? [];
    const ceiling = await measureReadCeiling(options.target, statements, seconds);
    process.stderr.write(
      `    ${endpoint.name}: raw ceiling ${ceiling.perSecond} requests/s (${statements.length} statements each, ${ceiling.processes} processes)\n`,
    );
    const floor = await measureHttpFloor({
      body: answer,
      path: wirePath(endpoint),
      port: options.floorPort,
      connections: HOT_CONNECTIONS,
      seconds,
      warmupSeconds,
    });
    process.stderr.write(
      `    ${endpoint.name}: HTTP floor ${floor} requests/s (the same answer from memory)\n`,
    );
    results.push({
      name: endpoint.name,
      request: requestLine(endpoint),
      connections: HOT_CONNECTIONS,
      seconds,
      ...current,
      ceilingPerSecond: ceiling.perSecond,
      ceilingProcesses: ceiling.processes,
      ratio: ratioOf(current.requestsPerSecond, ceiling.perSecond),
      httpFloorPerSecond: floor,
      ceilingStatements: statements.map(({ sql, params }) => ({
        sql: sql.replace(/\s+/g, ' ').trim(),
        params,
      })),
      ...(baseline
        ? { baseline: { ...baseline, ratio: ratioOf(baseline.requestsPerSecond, ceiling.perSecond) } }
        : {}),
    });
  }
  return results;
}
