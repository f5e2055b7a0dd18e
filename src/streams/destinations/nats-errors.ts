import { JetStreamApiError } from '@nats-io/jetstream';
import {
  AuthorizationError,
  InvalidArgumentError,
  NoRespondersError,
  PermissionViolationError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { DeliveryError } from './destination.js';

/** Node's codes for a server certificate that does not verify: retrying cannot help. */
const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** What failed: the subject and prefix name the stream the operator must create. */
export interface NatsFailureContext {
  /** The subject being published to, if the failure is a publish's. */
  readonly subject?: string;
  readonly prefix: string;
  /** The PubAck limit, in ms, for the timeout's message. */
  readonly timeoutMs: number;
  /** Values that must never appear in a message (the configured secrets). */
  readonly secrets: readonly string[];
}

/** `error` and its causes, outermost first (bounded: a cause chain can loop). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 8;) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/** The first error of the chain that is an instance of `type`. */
function find<T>(chain: unknown[], type: abstract new (...args: never[]) => T): T | undefined {
  return chain.find((error): error is T => error instanceof type);
}

/**
 * The DeliveryError for a failure of the NATS client (connecting or publishing). Non-retryable:
 * no stream captures the subject, JetStream refused the message as a client error (4xx other
 * than 408/429), the credentials or permissions were refused, the server's certificate does not
 * verify, the event exceeds the server's max_payload. Anything else (timeouts, refused or lost
 * connections, 5xx answers such as a full stream) is retryable. Secrets are cut from the message.
 */
export function natsDeliveryError(error: unknown, context: NatsFailureContext): DeliveryError {
  const chain = causes(error);
  const subject = context.subject === undefined ? '' : ` "${context.subject}"`;
  const [message, retryable, status] = classify(chain, subject, context);
  let text = message;
  for (const value of context.secrets) if (value !== '') text = text.split(value).join('[redacted]');
  return new DeliveryError(text, retryable, status);
}

function classify(
  chain: unknown[],
  subject: string,
  context: NatsFailureContext,
): [message: string, retryable: boolean, status?: number] {
  if (find(chain, NoRespondersError)) {
    return [
      `no JetStream stream captures the subject${subject}: the NATS operator must create a stream whose subjects include "${context.prefix}.>" (and enable JetStream for the account)`,
      false,
      503,
    ];
  }
  const api = find(chain, JetStreamApiError);
  if (api) {
    const { status, code } = api;
    const retryable = status >= 500 || status === 408 || status === 429;
    return [
      `JetStream refused the event on${subject}: ${api.message} (${status}, err_code ${code})`,
      retryable,
      status,
    ];
  }
  const expired = find(chain, UserAuthenticationExpiredError);
  if (expired) return [`NATS refused the credentials: ${expired.message} (update them)`, false];
  const authorization = find(chain, AuthorizationError);
  if (authorization) {
    return [
      `NATS refused the credentials: ${authorization.message} (check token, user/password or creds)`,
      false,
    ];
  }
  const permission = find(chain, PermissionViolationError);
  if (permission) {
    return [
      `the NATS user may not ${permission.operation} on "${permission.subject}": grant it publish on "${context.prefix}.>" and subscribe on "_INBOX.>"`,
      false,
    ];
  }
  const certificate = chain.find((error) => CERTIFICATE_CODES.has(codeOf(error) ?? ''));
  if (certificate) {
    return [`the NATS server's certificate does not verify (${codeOf(certificate)}): check tls_ca`, false];
  }
  if (find(chain, TimeoutError)) {
    return [`NATS did not answer within ${context.timeoutMs} ms${subject ? ` on${subject}` : ''}`, true];
  }
  const invalid = find(chain, InvalidArgumentError);
  if (invalid?.message.includes('max_payload')) {
    return [`an event on${subject} exceeds the NATS server's max_payload: raise it on the server`, false];
  }
  const first = chain[0];
  const detail = first instanceof Error ? first.message : String(first);
  const cause =
    chain.length > 1 && chain[chain.length - 1] instanceof Error ? chain[chain.length - 1] : undefined;
  const underlying = cause instanceof Error && cause.message !== detail ? ` (${cause.message})` : '';
  return [`NATS${subject ? ` on${subject}` : ''}: ${detail}${underlying}`, true];
}

/** A Node system error's `code` (ECONNREFUSED, CERT_HAS_EXPIRED…), if `error` has one. */
function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}
