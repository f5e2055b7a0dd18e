import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createTokenVerifier } from './http/auth/token-verifier.js';
import { resolveVerificationKey } from './http/auth/verification-key.js';
import type { AuditStore } from './domain/audit-store.js';
import { dataDirectory, openStore, type OpenedStore } from './storage/open-store.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The store, as its adapter (tests and benchmarks reach its diagnostics). */
  store: OpenedStore;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Stops accepting requests, lets running ones finish, then closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** The clock, epoch ms (default Date.now); tests skew it to play a client with a wrong clock. */
  now?: () => number;
  /** Runs after migrations and before listening, e.g. to load demo data. */
  beforeListen?: (store: AuditStore, app: FastifyInstance) => Promise<void>;
}

/**
 * Opens and migrates the store, resolves the token key, builds the app and listens.
 * With no JWT key configured, the generated secret's location and how to mint a token are logged.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const store = openStore(config.store);
  try {
    const applied = await store.migrate();
    const key = await resolveVerificationKey(config.jwt, dataDirectory(config.store));
    const app = await buildApp({
      store,
      verifyToken: createTokenVerifier(key, { issuer: config.jwt.issuer, audience: config.jwt.audience }),
      limits: config.limits,
      tuya: config.tuya,
      ...(options.now === undefined ? {} : { now: options.now }),
      logger: { level: config.logLevel },
    });
    if (applied.length > 0) app.log.info({ migrations: applied }, 'store migrated');
    if (key.kind === 'secret' && key.generatedFile !== undefined) {
      app.log.info(
        `no JWT key configured: using the generated secret in ${key.generatedFile} (mode 0600). ` +
          'Mint a token with: npx sealog token --sub admin --tenant tnt_demo --role admin',
      );
    }
    await options.beforeListen?.(store, app);
    const url = await app.listen({ port: config.port, host: config.host });
    return {
      app,
      store,
      url,
      close: async () => {
        await app.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
