import { randomBytes } from 'node:crypto';
import { ConfigError, type IntegritySettings } from '../config.js';
import { publishedHead } from './checkpoints/checkpoint-directory.js';
import { CheckpointPublisher, type CheckpointPublishAlarm } from './checkpoints/checkpoint-publisher.js';
import { CheckpointScheduler } from './checkpoints/checkpoint-scheduler.js';
import { CheckpointSigner, type CheckpointRefusedError } from './checkpoints/checkpoint-signer.js';
import { checkOriginPrefix } from './checkpoints/log-origin.js';
import { loadSigningKey } from './checkpoints/signing-key.js';
import { prunedPrefixEnd, type IntegrityLog, type LogIdentity } from './integrity-log.js';
import { IntegrityService } from './integrity-service.js';
import { TileCache } from './merkle/tile-cache.js';

/** Where the integrity runtime reports what needs an operator. */
export interface IntegrityEvents {
  /** A checkpoint refused (the log contradicts a signed one) or a published copy that disagrees. */
  onAlarm(message: string, error: CheckpointRefusedError | CheckpointPublishAlarm): void;
  /** A failure that recovers by itself (a receiver down, a busy store). */
  onError(error: Error): void;
}

/** The running integrity log of a process: the API's service, and how to stop its timers. */
export interface IntegrityRuntime {
  service: IntegrityService;
  identity: LogIdentity;
  stop(): Promise<void>;
}

/**
 * Fixes the store's log identity on first start (origin prefix and signing key; a later start
 * with another INTEGRITY_ORIGIN or SIGNING_KEY is refused: origins and keys are what verifiers
 * trust), then starts signing checkpoints every CHECKPOINT_INTERVAL and publishing them to
 * CHECKPOINT_DIR / CHECKPOINT_URL. Throws ConfigError for unusable settings.
 */
export async function startIntegrity(
  log: IntegrityLog,
  settings: IntegritySettings,
  dataDir: string,
  events: IntegrityEvents,
): Promise<IntegrityRuntime> {
  const key = loadSigningKey(settings.signingKey, dataDir);
  const identity = await claimIdentity(log, settings, key.publicKey.toString('base64'));
  const tiles = new TileCache();
  const directory = settings.checkpointDir;
  const signer = new CheckpointSigner({
    store: log,
    minimumIndex: async (id) => prunedPrefixEnd(await log.prunedRanges(id)),
    privateKey: key.privateKey,
    originPrefix: identity.originPrefix,
    tiles,
    ...(directory === undefined
      ? {}
      : { publishedHead: (origin: string) => publishedHead(directory, origin) }),
    onRefusal: (refusal) => {
      events.onAlarm(`refused to sign a checkpoint of ${refusal.origin}: ${refusal.message}`, refusal);
    },
  });
  const publisher =
    directory === undefined && settings.checkpointUrl === undefined
      ? undefined
      : new CheckpointPublisher({
          outbox: log,
          verifierKey: (id) => signer.verifierKey(id).verifierKey,
          ...(directory === undefined ? {} : { directory }),
          ...(settings.checkpointUrl === undefined ? {} : { url: settings.checkpointUrl }),
          onAlarm: (alarm) => {
            events.onAlarm(`publishing a checkpoint: ${alarm.message}`, alarm);
          },
          onError: (error) => {
            events.onError(error);
          },
        });
  const scheduler = new CheckpointScheduler({
    store: log,
    signer,
    ...(publisher === undefined ? {} : { publisher }),
    intervalMs: settings.checkpointIntervalMs,
    onError: (error) => {
      events.onError(error);
    },
  });
  scheduler.start();
  return {
    service: new IntegrityService(log, signer, scheduler, tiles, settings.checkpointIntervalMs),
    identity,
    stop: () => scheduler.stop(),
  };
}

/** The identity the store records, recorded now when there is none. */
async function claimIdentity(
  log: IntegrityLog,
  settings: IntegritySettings,
  publicKey: string,
): Promise<LogIdentity> {
  if (settings.originPrefix !== undefined) checkOriginPrefix(settings.originPrefix);
  const recorded = await log.identity();
  const wanted: LogIdentity = {
    originPrefix:
      settings.originPrefix ?? recorded?.originPrefix ?? `sealog.invalid/${randomBytes(8).toString('hex')}`,
    publicKey,
  };
  const identity = recorded ?? (await log.claimIdentity(wanted));
  if (settings.originPrefix !== undefined && identity.originPrefix !== settings.originPrefix) {
    throw new ConfigError(
      'INTEGRITY_ORIGIN',
      `is ${settings.originPrefix}, but this store's logs are ${identity.originPrefix}/…: origins never change; set INTEGRITY_ORIGIN=${identity.originPrefix} or unset it`,
    );
  }
  if (identity.publicKey !== publicKey) {
    throw new ConfigError(
      'SIGNING_KEY',
      `is not the key this store's checkpoints are signed with (Ed25519 public key ${identity.publicKey} in base64): configure that key on every process of this store`,
    );
  }
  return identity;
}
