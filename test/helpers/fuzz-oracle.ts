import { familyOf, routeLabel, type RouteSpec } from './openapi-routes.js';
import { STANDARD_METHODS, type FuzzRequest } from './fuzz-request.js';
import type { Outcome, SentRequest } from './fuzz-transport.js';

// What every answer of the server must look like, whatever was sent, and the run's report:
// a status histogram and the failures grouped by route, method and what was wrong.

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const AUTHMS_ERROR_KEYS = ['code', 'message', 'timestamp'];
const TUYA_ERROR_KEYS = ['code', 'msg', 'success', 't', 'tid'];

/** The path a target is routed by: without its query, and without the scheme and host of an absolute-form target. */
const routedPath = (wireTarget: string) => wireTarget.replace(/^[a-z]+:\/\/[^/]*/i, '').split('?')[0] ?? '';

const keysOf = (value: object) => Object.keys(value).sort().join(',');
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Why a Tuya answer is not Tuya's envelope (HTTP 200, success or error), or undefined when it is. */
function tuyaViolation(status: number, body: unknown): string | undefined {
  if (status !== 200) return 'Tuya answered with an HTTP status other than 200';
  if (!isObject(body)) return 'Tuya answer is not a JSON object';
  if (body.success === true) {
    const extra = Object.keys(body).filter((key) => !['success', 't', 'result', 'tid'].includes(key));
    if (!Number.isInteger(body.t) || !('result' in body) || extra.length > 0)
      return 'not the Tuya success envelope';
    return undefined;
  }
  if (keysOf(body) !== TUYA_ERROR_KEYS.join(',') || body.success !== false)
    return 'not the Tuya error envelope';
  if (!Number.isInteger(body.code) || typeof body.msg !== 'string')
    return 'Tuya error code/msg of the wrong type';
  if (!Number.isInteger(body.t) || typeof body.tid !== 'string') return 'Tuya error t/tid of the wrong type';
  if (body.code === 500) return 'Tuya system error (code 500)';
  return undefined;
}

/** Why an AuthMS answer is not `{code, message, timestamp}` (plus the payload on success), or undefined. */
function authmsViolation(status: number, body: unknown): string | undefined {
  if (!isObject(body)) return 'AuthMS answer is not a JSON object';
  if (status >= 400 && keysOf(body) !== AUTHMS_ERROR_KEYS.join(','))
    return 'not the AuthMS error shape {code, message, timestamp}';
  if (body.code !== status) return 'AuthMS code differs from the HTTP status';
  if (typeof body.message !== 'string') return 'AuthMS message is not a string';
  if (typeof body.timestamp !== 'string' || !RFC3339.test(body.timestamp))
    return 'AuthMS timestamp is not RFC 3339';
  return undefined;
}

/**
 * The failure `outcome` shows for `request`, or undefined when the answer is acceptable: no 5xx
 * anywhere, Tuya's envelope under /v1.0/, the AuthMS shape elsewhere (health and docs: only no
 * 5xx; HEAD: status only). A connection closed without an answer is a failure, except after a
 * `truncated-body` request: it announced a Content-Length, sent fewer bytes and closed its side, so
 * the request never ended and there is nothing to answer (Node aborts such a request).
 */
export function judge(
  request: FuzzRequest,
  sent: SentRequest,
  successTypes: readonly string[] = [],
): string | undefined {
  const { outcome } = sent;
  if (outcome.kind === 'unsendable') return `the fuzzer could not send it: ${outcome.detail}`;
  if (outcome.kind === 'timeout') return `no answer before the timeout: ${outcome.detail}`;
  if (outcome.kind === 'closed')
    return request.framing === 'truncated-body' ? undefined : 'connection closed without a response';
  if (outcome.status >= 500) return `HTTP ${outcome.status}`;
  if (request.method === 'HEAD') return undefined;
  const family = familyOf(routedPath(sent.wireTarget));
  if (family === 'infra') return undefined;
  const type = outcome.headers['content-type'] ?? '';
  // A success the route documents in another type (a signed note in text/plain, NDJSON).
  if (outcome.status < 300 && successTypes.some((documented) => type.startsWith(documented)))
    return undefined;
  if (!/^application\/json/.test(type))
    return `not JSON: content-type ${outcome.headers['content-type'] ?? '(none)'}`;
  const body = parseJson(outcome.body);
  return family === 'tuya' ? tuyaViolation(outcome.status, body) : authmsViolation(outcome.status, body);
}

/** True for a 2xx answer that is not a Tuya refusal: the request reached its handler and passed. */
function succeeded(sent: SentRequest): boolean {
  const { outcome } = sent;
  if (outcome.kind !== 'response' || outcome.status < 200 || outcome.status >= 300) return false;
  if (familyOf(routedPath(sent.wireTarget)) !== 'tuya') return true;
  const body = parseJson(outcome.body);
  return isObject(body) && body.success === true;
}

/** The histogram key of an outcome: the status, or what happened instead. */
export const statusKey = (outcome: Outcome): string =>
  outcome.kind === 'response' ? String(outcome.status) : outcome.kind;

const excerpt = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;

/** A request and its answer, written so that a reader can reproduce it by hand. */
export function describeExchange(request: FuzzRequest, sent: SentRequest): string {
  const credentials = `${request.credentials.scheme} ${request.credentials.kind}`;
  const headers = request.headers.map(([name, value]) => `${name}: ${value}`).join('; ');
  const body =
    request.body === undefined
      ? 'no body'
      : `body (${request.body.length} bytes) ${JSON.stringify(excerpt(request.body.toString('utf8'), 200))}`;
  const { outcome } = sent;
  const answer =
    outcome.kind === 'response'
      ? `HTTP ${outcome.status} ${JSON.stringify(excerpt(outcome.body.toString('utf8'), 300))}`
      : `${outcome.kind}: ${outcome.detail}`;
  return [
    `#${request.index} via ${request.transport}${request.framing === 'normal' ? '' : ` (${request.framing} framing)`}: ${request.method} ${JSON.stringify(excerpt(sent.wireTarget, 300))}`,
    `    credentials: ${credentials}${headers === '' ? '' : `; headers: ${headers}`}; ${body}`,
    `    → ${answer}`,
  ].join('\n');
}

interface FailureGroup {
  count: number;
  first: string;
  /** 0 for the gravest (5xx), up to 5 for a wrong shape: groups are listed gravest first. */
  severity: number;
}

function severityOf(outcome: Outcome, reason: string): number {
  if (outcome.kind === 'response' && outcome.status >= 500) return 0;
  if (outcome.kind === 'timeout') return 1;
  if (outcome.kind === 'closed') return 2;
  if (reason.startsWith('Tuya system error')) return 3;
  return outcome.kind === 'unsendable' ? 4 : 5;
}

/** Counts statuses and groups failures by route, method class, outcome and reason. */
export class FuzzReport {
  readonly histogram = new Map<string, number>();
  /** By route: how many requests it answered with success (2xx; Tuya: `success: true`). */
  readonly successes = new Map<string, number>();
  readonly groups = new Map<string, FailureGroup>();
  requests = 0;
  /** By route: the non-JSON types its successes are documented with. */
  private readonly successTypes: Map<string, readonly string[]>;

  constructor(routes: readonly RouteSpec[] = []) {
    this.successTypes = new Map(routes.map((route) => [routeLabel(route), route.successTypes]));
  }

  /** Records one exchange; returns the failure reason, if any. */
  record(request: FuzzRequest, sent: SentRequest): string | undefined {
    this.requests += 1;
    const key = statusKey(sent.outcome);
    this.histogram.set(key, (this.histogram.get(key) ?? 0) + 1);
    if (succeeded(sent)) this.successes.set(request.route, (this.successes.get(request.route) ?? 0) + 1);
    const reason = judge(request, sent, this.successTypes.get(request.route));
    if (reason === undefined) return undefined;
    const method = STANDARD_METHODS.includes(request.method) ? request.method : 'non-standard method';
    const framing = request.framing === 'normal' ? '' : ` [${request.framing}]`;
    const group = `${request.route} ← ${method}${framing}: ${key}, ${reason.replace(/: .*/, '')}`;
    const existing = this.groups.get(group);
    if (existing === undefined)
      this.groups.set(group, {
        count: 1,
        first: describeExchange(request, sent),
        severity: severityOf(sent.outcome, reason),
      });
    else existing.count += 1;
    return reason;
  }

  /** `{200: 3100, 400: 6200, …}`, keys in order. */
  histogramText(): string {
    const entries = [...this.histogram.entries()].sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, count]) => `${key}: ${count}`).join(', ')}}`;
  }

  /**
   * The first `limit` failure groups, gravest first (5xx, hangs, dropped connections, then wrong
   * shapes), the largest first within each, each with its first example; then the names of up to
   * 100 more groups, one line each.
   */
  failuresText(limit: number): string {
    const groups = [...this.groups.entries()].sort(
      ([, a], [, b]) => a.severity - b.severity || b.count - a.count,
    );
    const shown = groups
      .slice(0, limit)
      .map(([name, group]) => `- ${name} (×${group.count})\n  ${group.first}`);
    const rest = groups.slice(limit);
    const listed = rest.slice(0, 100).map(([name, group]) => `\n- ${name} (×${group.count})`);
    const more = rest.length > 0 ? `\n… and ${rest.length} more groups:${listed.join('')}` : '';
    return shown.join('\n') + more;
  }

  get failureCount(): number {
    return [...this.groups.values()].reduce((sum, group) => sum + group.count, 0);
  }
}
