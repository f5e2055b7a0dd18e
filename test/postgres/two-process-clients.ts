/**
 * The clients of integrity-two-processes.test.ts: a pool running requests a few at a time, the
 * tokens they send, one HTTP call, and the figures the run reports.
 */
import { SignJWT } from 'jose';
import type { IngestKind } from '../helpers/log-events.js';
import { TEST_SECRET } from '../helpers/test-server.js';

/** A job of the client pool; resolves with the jobs it gives rise to. */
export type Job = () => Promise<Job[]>;

/**
 * Runs `jobs` (and the jobs they give rise to, before the jobs still waiting: receipts follow their
 * batch closely, and the batches spread over the run) with at most `width` in flight; resolves once
 * all have run, rejects with the first failure (what is in flight then settles unobserved).
 */
export function runPool(width: number, jobs: readonly Job[]): Promise<void> {
  const queue = [...jobs];
  let running = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const pump = () => {
      while (!failed && running < width && queue.length > 0) {
        const job = queue.shift();
        if (job === undefined) break;
        running++;
        job().then(
          (more) => {
            running--;
            queue.unshift(...more);
            pump();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
      if (!failed && running === 0 && queue.length === 0) resolve();
    };
    pump();
  });
}

const jwt = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('usr_two_processes')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(TEST_SECRET));

export interface Tokens {
  platformWriter: string;
  writer: Map<string, string>;
  admin: Map<string, string>;
}

export async function mintTokens(tenants: readonly string[]): Promise<Tokens> {
  const writer = new Map<string, string>();
  const admin = new Map<string, string>();
  for (const tenant of tenants) {
    writer.set(tenant, await jwt({ tenant_id: tenant, roles: ['audit:write'] }));
    admin.set(tenant, await jwt({ tenant_id: tenant, roles: ['admin'] }));
  }
  return { platformWriter: await jwt({ roles: ['audit:write'] }), writer, admin };
}

export const tokenOf = (tokens: Map<string, string>, tenant: string) => {
  const value = tokens.get(tenant);
  if (value === undefined) throw new Error(`no token for ${tenant}`);
  return value;
};

export interface Answer {
  status: number;
  text: string;
}

export async function call(
  url: string,
  method: string,
  path: string,
  bearer: string,
  body?: unknown,
  accept?: string,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(accept === undefined ? {} : { accept }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

/** What the run did, for the diagnostics. */
export interface Figures {
  batchRequests: number;
  recordsSent: number;
  inserted: Record<IngestKind, number>;
  duplicates: number;
  receipts: number;
  receiptsAnswered200: number;
  receiptsAnswered409: number;
  checkpointPosts: number;
  checkpointsCreatedByPost: number;
}
