import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TuyaProject } from '../../config.js';
import type { TuyaSessionService } from '../../domain/tuya-sessions.js';
import { TuyaError } from '../errors/tuya-errors.js';
import {
  currentSignatureInputs,
  legacySignatureInput,
  signatureMatches,
  type SignatureContext,
} from './tuya-signature.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The cloud project a Tuya request is signed by; set by the Tuya verifier. */
    tuyaProject: TuyaProject | undefined;
    /** Whether a business call's nonce was fresh, decided while the call runs (see settleNonce). */
    tuyaNonceVerdict: Promise<boolean> | undefined;
  }
}

/** Largest body a signed GET may carry (the official SDK sends `{}`). */
const MAX_SIGNED_BODY_BYTES = 64 * 1024;

export interface TuyaVerifierOptions {
  projects: ReadonlyMap<string, TuyaProject>;
  sessions: TuyaSessionService;
  signWindowSeconds: number;
  now: () => number;
}

/**
 * Verifies a signed Tuya request before anything else looks at it: headers present, client
 * known, `t` within the window, the signature, a fresh nonce, and (on business calls) the access
 * token. `token` calls sign without an access token and may use the legacy signature, which the
 * official SDK uses for its refresh call; business calls need the current one unless the project
 * enables the legacy one.
 */
export function createTuyaVerifier(options: TuyaVerifierOptions) {
  return (kind: 'token' | 'business') =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const header = (name: string): string | undefined => {
        const value = request.headers[name];
        return typeof value === 'string' && value !== '' ? value : undefined;
      };
      const clientId = header('client_id');
      const sign = header('sign');
      const t = header('t');
      if (clientId === undefined || sign === undefined || t === undefined) {
        throw new TuyaError('missingHeader', 'client_id, sign and t are required');
      }
      const project = options.projects.get(clientId);
      if (project === undefined) throw new TuyaError('clientIdInvalid');
      const method = header('sign_method') ?? 'HMAC-SHA256';
      if (method !== 'HMAC-SHA256') throw new TuyaError('signInvalid', 'sign_method must be HMAC-SHA256');
      if (!/^\d{13}$/.test(t) || Math.abs(Number(t) - options.now()) > options.signWindowSeconds * 1000) {
        throw new TuyaError('requestTimeInvalid', 't must be the current time in epoch milliseconds');
      }
      const accessToken = kind === 'business' ? header('access_token') : '';
      if (accessToken === undefined) throw new TuyaError('accessTokenNull');
      const nonce = header('nonce') ?? '';

      const context: SignatureContext = { clientId, accessToken, t, nonce };
      const inputs = currentSignatureInputs(
        {
          method: request.method,
          rawUrl: request.url,
          rawBody: await readRawBody(request, reply),
          headers: request.headers,
        },
        context,
      );
      if (kind === 'token' || project.allowLegacySignature) inputs.push(legacySignatureInput(context));
      if (!signatureMatches(project.secret, sign, inputs)) throw new TuyaError('signInvalid');

      if (nonce !== '' && kind === 'token' && !(await options.sessions.acceptNonce(project, nonce))) {
        throw replayed();
      }
      if (kind === 'business') {
        // Remembering the nonce is a durable write: a read does not wait for its commit before
        // running, only before answering (settleNonce), so it waits max(commit, query), not both.
        if (nonce !== '') {
          const verdict = options.sessions.acceptNonce(project, nonce);
          // Awaited by the route or the error handler; this keeps an aborted request's from being unhandled.
          verdict.catch(() => undefined);
          request.tuyaNonceVerdict = verdict;
        }
        const status = await options.sessions.check(project, accessToken);
        if (status === 'expired') throw new TuyaError('tokenExpired');
        if (status === 'invalid') throw new TuyaError('tokenInvalid');
      }
      request.tuyaProject = project;
    };
}

/**
 * Waits for the verdict on a business call's nonce; throws as the check did when it ran first: the
 * replay error, or the store's failure. Every answer to a business call (its result or its error)
 * goes out only after this, so a replay never gets anything but the replay error.
 */
export async function settleNonce(request: FastifyRequest): Promise<void> {
  const verdict = request.tuyaNonceVerdict;
  if (verdict !== undefined && !(await verdict)) throw replayed();
}

function replayed(): TuyaError {
  return new TuyaError('signInvalid', 'nonce was already used: sign every request with a new nonce');
}

/** The project of a verified Tuya request. */
export function tuyaProjectOf(request: FastifyRequest): TuyaProject {
  if (request.tuyaProject === undefined) throw new TuyaError('signInvalid');
  return request.tuyaProject;
}

/**
 * The body bytes as received. Fastify does not read GET bodies, but the official SDK sends `{}`
 * on every GET and signs its hash, so the signature check reads them here. A body over
 * MAX_SIGNED_BODY_BYTES is left unread; the answer then closes the connection, whose next bytes
 * would otherwise be taken for the next request.
 */
function readRawBody(request: FastifyRequest, reply: FastifyReply): Promise<Buffer> {
  const raw = request.raw;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      raw.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_SIGNED_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      stop();
      raw.pause();
      void reply.header('connection', 'close');
      reject(new TuyaError('paramIllegal', `the request body is larger than ${MAX_SIGNED_BODY_BYTES} bytes`));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    raw.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
