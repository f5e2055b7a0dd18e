import { parseArgs } from 'node:util';
import { buildApp } from '../app.js';
import { parseConfig } from '../config.js';
import { AuthenticationError } from '../domain/errors.js';
import { openStore } from '../storage/open-store.js';
import { generateKeyPairSync } from 'node:crypto';
import { CheckpointSigner } from '../integrity/checkpoints/checkpoint-signer.js';
import { IntegrityService } from '../integrity/integrity-service.js';
import { TileCache } from '../integrity/merkle/tile-cache.js';
import { destinationTypes } from '../streams/destinations/destination-registry.js';
import { StreamService } from '../streams/stream-service.js';
import { RetentionService } from '../retention/retention-service.js';
import { PurgeService } from '../retention/purge-service.js';
import { UsageError } from './settings-options.js';

export const OPENAPI_HELP = `Usage: sealog openapi

Prints the OpenAPI 3 document of the HTTP API (what a server serves at /openapi.json)
as JSON on stdout, without starting a server or touching a database, e.g. to generate
a client:
  npx sealog openapi > openapi.json

Options:
  -h, --help        show this help
`;

/**
 * The OpenAPI document, built from the same route schemas as a running server. The document does
 * not depend on the settings or the data, so the app is built with the defaults on an in-memory
 * store that is never migrated: the output is the same wherever it runs.
 */
export async function openApiDocument(): Promise<unknown> {
  const config = parseConfig({ DATABASE_URL: 'sqlite::memory:' });
  const store = openStore(config.store);
  try {
    const retention = new RetentionService(store.retentionOverrides, config.retention);
    // Deliverers never start: the routes only need a service to document.
    const streams = new StreamService(store, new Map(), destinationTypes(), Date.now);
    const app = await buildApp({
      store,
      // No request is ever served: the routes only need something to call.
      verifyToken: () => Promise.reject(new AuthenticationError('sealog openapi serves no requests')),
      limits: config.limits,
      tuya: config.tuya,
      logger: false,
      streams,
      integrity: new IntegrityService(
        store.integrity,
        new CheckpointSigner({
          store: store.integrity,
          privateKey: generateKeyPairSync('ed25519').privateKey,
          originPrefix: 'sealog.invalid/openapi',
        }),
        { signNow: () => Promise.reject(new AuthenticationError('sealog openapi serves no requests')) },
        new TileCache(),
        config.integrity.checkpointIntervalMs,
      ),
      retention,
      purge: new PurgeService(store, () => store.integrity.logStates(), retention),
    });
    try {
      await app.ready();
      return app.swagger();
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
  }
}

/** `sealog openapi`: prints the OpenAPI document on stdout. */
export async function openApiCommand(args: string[]): Promise<void> {
  let help: boolean | undefined;
  try {
    // No setting applies (see openApiDocument), so none is accepted rather than silently ignored.
    ({ help } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true }).values);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. See: sealog openapi --help`);
  }
  if (help === true) {
    process.stdout.write(OPENAPI_HELP);
    return;
  }
  const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
  // A reader that stops early (`sealog openapi | head`) has all it wanted: not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.stdout.write(text);
}
