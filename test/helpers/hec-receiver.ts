import type { EventJson } from '../../src/streams/destinations/event-json.js';
import { CuedReceiver, type Answer, type ReceivedRequest } from './webhook-receiver.js';
import { waitFor } from './wait-for.js';

/** An event as HEC received it. */
export interface HecEvent {
  readonly time: number;
  readonly host?: string;
  readonly source: string;
  readonly sourcetype: string;
  readonly index?: string;
  readonly event: EventJson;
}

/** Options of a HecReceiver. */
export interface HecReceiverOptions {
  /** The token it accepts. */
  token: string;
  /** The token's allowed indexes; an event naming another gets code 7 (default: any). */
  indexes?: readonly string[];
}

const PATH = '/services/collector/event';

/**
 * A Splunk HTTP Event Collector as documented (Format events for HTTP Event Collector;
 * Troubleshoot HTTP Event Collector, "Possible error codes"): POST /services/collector/event with
 * `Authorization: Splunk <token>` and a body of JSON event objects one after the other. It answers
 * as HEC does (200 `{"text":"Success","code":0}`, 401 code 2/3, 403 code 4, 400 code 5/6/7/12/13)
 * and, stricter than Splunk, requires each event's `time` to be a number and `source` and
 * `sourcetype` to be set (answering code 6 and recording why in `violations`).
 */
export class HecReceiver extends CuedReceiver {
  /** Accepted events, in order (a retried batch appears again). */
  readonly events: HecEvent[] = [];
  /** Why requests were refused, in order: HEC's text and this receiver's precise reason. */
  readonly violations: string[] = [];

  private constructor(private readonly options: HecReceiverOptions) {
    super();
  }

  static async start(options: HecReceiverOptions): Promise<HecReceiver> {
    const receiver = new HecReceiver(options);
    await receiver.up();
    return receiver;
  }

  /** Waits until `count` events were accepted in all. */
  async waitForEvents(count: number): Promise<void> {
    await waitFor(`${count} HEC events`, () => this.events.length >= count);
  }

  protected answer(request: ReceivedRequest): Answer {
    if (request.method !== 'POST' || request.path !== PATH) {
      return this.refuse(404, 404, 'The requested URL was not found on this server.', request.path);
    }
    const authorization = request.headers.authorization;
    if (authorization === undefined) return this.refuse(401, 2, 'Token is required', 'no Authorization');
    const match = /^Splunk (\S+)$/.exec(authorization);
    if (match === null) return this.refuse(401, 3, 'Invalid authorization', authorization);
    if (match[1] !== this.options.token) return this.refuse(403, 4, 'Invalid token', 'unknown token');
    if (request.body.trim() === '') return this.refuse(400, 5, 'No data', 'empty body');
    const objects = splitObjects(request.body);
    if (typeof objects === 'string') return this.refuse(400, 6, 'Invalid data format', objects);
    const accepted: HecEvent[] = [];
    for (const [number, object] of objects.entries()) {
      const problem = checkEvent(object, this.options.indexes);
      if (problem !== undefined) {
        return this.refuse(400, problem.code, problem.text, `event ${number}: ${problem.why}`, number);
      }
      accepted.push(object as unknown as HecEvent);
    }
    this.events.push(...accepted);
    return hec(200, 0, 'Success');
  }

  private refuse(status: number, code: number, text: string, why: string, invalidEvent?: number): Answer {
    this.violations.push(`${text}: ${why}`);
    return hec(status, code, text, invalidEvent);
  }
}

/** HEC's answer. */
export function hec(status: number, code: number, text: string, invalidEvent?: number): Answer {
  const body = {
    text,
    code,
    ...(invalidEvent === undefined ? {} : { 'invalid-event-number': invalidEvent }),
  };
  return {
    status,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json; charset=UTF-8' },
  };
}

/**
 * The JSON objects `body` holds one after the other (whitespace between them allowed, nothing
 * else: no array, no commas), or why it is not that.
 */
export function splitObjects(body: string): Record<string, unknown>[] | string {
  const objects: Record<string, unknown>[] = [];
  let start = -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i += 1) {
    const char = body[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      if (depth === 0) return `a string outside any object at ${i}`;
      inString = true;
    } else if (char === '{') {
      if (depth === 0) start = i;
      depth += 1;
    } else if (char === '}') {
      depth -= 1;
      if (depth < 0) return `unbalanced } at ${i}`;
      if (depth === 0) {
        try {
          objects.push(JSON.parse(body.slice(start, i + 1)) as Record<string, unknown>);
        } catch (error) {
          return `an object that is not JSON at ${start} (${(error as Error).message})`;
        }
      }
    } else if (depth === 0 && !/\s/.test(char ?? '')) {
      return `${JSON.stringify(char)} between objects at ${i}`;
    }
  }
  return depth === 0 ? objects : 'an unterminated object';
}

/** What is wrong with a HEC event object, as HEC's code and text and this receiver's reason. */
function checkEvent(
  object: Record<string, unknown>,
  indexes: readonly string[] | undefined,
): { code: number; text: string; why: string } | undefined {
  if (!('event' in object)) return { code: 12, text: 'Event field is required', why: 'no event' };
  if (object.event === '' || object.event === null)
    return { code: 13, text: 'Event field cannot be blank', why: '' };
  if (typeof object.time !== 'number')
    return { code: 6, text: 'Invalid data format', why: 'time is not a number' };
  for (const field of ['source', 'sourcetype'] as const) {
    if (typeof object[field] !== 'string' || object[field] === '') {
      return { code: 6, text: 'Invalid data format', why: `no ${field}` };
    }
  }
  const index = JSON.stringify(object.index);
  if (
    object.index !== undefined &&
    indexes !== undefined &&
    !indexes.some((name) => JSON.stringify(name) === index)
  ) {
    return { code: 7, text: 'Incorrect index', why: `index ${index} not allowed` };
  }
  return undefined;
}
