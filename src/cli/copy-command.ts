import { resolve } from 'node:path';
import { parseConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { LogId } from '../integrity/sequencing/integrity-store.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import { PgLogImport } from '../storage/postgres/integrity/pg-log-import.js';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { NotASealogStoreError, SqliteExport } from '../storage/sqlite/sqlite-export.js';
import { checkTargetMasterKeys, CopyRefusedError, settingsToCarry, sourceMasterKeys } from './copy-keys.js';
import { copyLogs, type CopyCounts } from './copy-logs.js';
import { parseCopyOptions, type CopyOptions } from './copy-options.js';
import { planCopy, type CopyTarget, type LogPlan } from './copy-plan.js';
import { createCopyProgress } from './copy-progress.js';
import {
  freshCopyState,
  loadCopyState,
  maskedUrl,
  maskPassword,
  recordLeaves,
  removeCopyState,
  saveCopyState,
  withoutPassword,
  type CopyState,
} from './copy-state.js';
import { compareTallies, formatTallyChecks, shortfalls } from './copy-verification.js';
import { UsageError } from './settings-options.js';

export const COPY_HELP = `Usage: sealog copy --from sqlite:PATH --to postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE [options]

Copies an embedded SQLite store into PostgreSQL, for when one machine is no
longer enough, with its tamper evidence intact. Every log (one per tenant and
kind: ${LOG_TABLES.map(({ kind }) => kind).join(', ')})
travels as it is stored, leaf by leaf in its order: each record with its personal
fields sealed as they are and the subject keys that open them (wrapped as they
are), each communication log with its delivery-status history, then the log's
signed checkpoints. The target hashes each log's tree from the copied rows and
must find every checkpoint's root in it, so sealog verify on the target reports
the source's tree sizes and roots. Checkpoints the source published
(CHECKPOINT_DIR, CHECKPOINT_URL) stay marked published and are not published
again; those it had not published yet are published by the target's servers.

Keys: nothing is decrypted or re-encrypted, so the target's servers need the
source's keys. The copy reads the master keys from DATA_KEY, or else from the
data-keys file beside the source (what the source's servers generated), checks
they are the ones that wrapped the source's subject keys, and refuses (exit 1)
when they are not, or when the target already records other master keys. Give
the target's servers the same DATA_KEY, and the source's SIGNING_KEY (or its
generated integrity-signing-key.pem): the target records the source's origin and
signing key, and its servers refuse to start with others.

The source is only read, so a server may keep running on it; it must be of this
sealog's version (run sealog migrate on it first). The target's schema is created
or brought up to date first. A log the target holds already must be the source's
first leaves (an interrupted copy): the copy checks it and goes on from there.
A target holding another log of a tenant and kind the source has is refused
before anything is written (exit 1): merging two logs breaks every proof.

Each batch of leaves is one transaction, and the state file records how far the
copy got. If it is interrupted (Ctrl-C, a crash, a lost connection), run the same
command again: it continues after the last committed batch. At the end the rows
per table and tenant are counted on both sides; every source count must be
matched by the target (which may hold more).

Tuya access tokens and nonces are not copied: Tuya clients fetch new tokens.

Options:
  --from sqlite:PATH  the SQLite store file to copy from (required)
  --to URL            the PostgreSQL database to copy into, postgres://… or
                      postgresql://… (required); its password is never printed
                      nor written to the state file
  --batch-size N      leaves (records and transitions) per batch and transaction,
                      1 to 10000 (default 1000)
  --state FILE        the state file (default PATH.copy-state.json, beside the
                      source)
  --restart           ignore the state file (the copy still goes on from what the
                      target holds, checked: nothing is stored twice)
  -h, --help          show this help

Environment: DATA_KEY, the source's master keys (see above);
DATABASE_STATEMENT_TIMEOUT and DATABASE_UNAVAILABLE_TIMEOUT, as for a server,
for the target's queries (raise the first for a target under heavy load).

Progress goes to stderr: a bar on a terminal, otherwise a line every few seconds.
The counts and the summary go to stdout. Exit status: 0 copied and verified,
1 failed, refused, or rows are missing in the target, 2 a mistake in the command
line.

Example (the source's servers generated their keys in ./data):
  sealog copy --from sqlite:./data/sealog.db --to postgres://sealog@db.internal:5432/sealog
`;

/** `sealog copy`: SQLite store → PostgreSQL, logs as stored, resumable, verified by roots and counts. */
export async function copyCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const options = parseCopyOptions(args);
  if (options === undefined) {
    process.stdout.write(COPY_HELP);
    return;
  }
  const target = maskedUrl(options.targetUrl);
  // The target's pool obeys a server's database settings, so a loaded target (a Citus cluster
  // making partitions) can be given a longer DATABASE_STATEMENT_TIMEOUT; checked before anything runs.
  const location = parseConfig({
    DATABASE_URL: options.targetUrl,
    DATABASE_STATEMENT_TIMEOUT: env.DATABASE_STATEMENT_TIMEOUT,
    DATABASE_UNAVAILABLE_TIMEOUT: env.DATABASE_UNAVAILABLE_TIMEOUT,
  }).store;
  if (location.kind !== 'postgres') throw new UsageError('--to must be a PostgreSQL URL');
  const startedAt = performance.now();
  let source: SqliteExport | undefined;
  let importer: PgLogImport | undefined;
  let store: PostgresStore | undefined;
  try {
    source = openSource(options.sourcePath);
    const unfit = source.notCopyable();
    if (unfit !== undefined) {
      throw new CopyRefusedError(
        `--from: ${options.sourcePath} ${unfit}: run sealog migrate --database-url sqlite:${options.sourcePath} on it first (a server of this version migrates it when it starts)`,
      );
    }
    const pruned = source.prunedLeaves();
    if (pruned > 0) {
      // The target rebuilds each tree from the copied rows, and a purged record has none.
      throw new CopyRefusedError(
        `--from: ${options.sourcePath} has ${pruned} leaves whose records a retention purge removed, which sealog copy cannot carry yet: copy a store before its first purge (PURGE_INTERVAL=0 keeps a server from purging)`,
      );
    }
    const recorded = source.masterKeys();
    const keys = sourceMasterKeys(env.DATA_KEY, options.sourcePath, recorded);
    importer = await PgLogImport.connect(options.targetUrl);
    // Before the target records anything (migrating it records the copy's key).
    checkTargetMasterKeys(keys, await importer.recordedMasterKeys());
    store = new PostgresStore(location, Date.now, { masterKeys: keys.keys, sequencing: false });
    await migrateTarget(store);
    if (!(await importer.backfillDone())) {
      throw new CopyRefusedError(
        'the target is still numbering rows from before its integrity log: run sealog migrate on it, then copy',
      );
    }
    const identity = source.identity();
    const recordedIdentity = await store.integrity.identity();
    if (
      identity !== undefined &&
      recordedIdentity !== undefined &&
      (identity.originPrefix !== recordedIdentity.originPrefix ||
        identity.publicKey !== recordedIdentity.publicKey)
    ) {
      throw new CopyRefusedError(
        `the target's logs are signed as ${recordedIdentity.originPrefix}/… with key ${recordedIdentity.publicKey}, the source's as ` +
          `${identity.originPrefix}/… with key ${identity.publicKey}: checkpoints of one do not verify under the other. Copy into a database or schema of its own`,
      );
    }
    const plans = await planCopy(source, { importer, integrity: store.integrity });
    const route = [resolve(options.sourcePath), withoutPassword(options.targetUrl)] as const;
    const { state, note } = options.restart
      ? { state: freshCopyState(...route), note: 'the state file is ignored (--restart)' }
      : loadCopyState(options.stateFile, ...route);
    if (note !== undefined) process.stderr.write(`note: ${note}\n`);
    saveInitialState(options.stateFile, state);
    await importer.recordMasterKeys(recorded);
    if (identity !== undefined) await importer.claimIdentity(identity);
    const present = plans.reduce((sum, plan) => sum + plan.present, 0);
    const counts = await runCopy(
      source,
      { importer, integrity: store.integrity },
      plans,
      { state, masterKeyIds: new Set(keys.keys.ids) },
      options,
    );
    // Complete: a later run starts from what the target holds, like this one.
    removeCopyState(options.stateFile);
    process.stderr.write('counting rows per table and tenant in the source and the target…\n');
    const checks = compareTallies(source.tally(), await store.tally());
    process.stdout.write(formatTallyChecks(checks));
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    process.stdout.write(
      `copied ${counts.leaves} new leaves (${counts.records} records, ${counts.transitions} status transitions) ` +
        `and ${counts.checkpoints} checkpoints of ${plans.length} logs to ${target} in ${seconds} s; ` +
        `${present} leaves were in the target already\n` +
        `every copied log gives the roots of the source's checkpoints and trees\n`,
    );
    process.stderr.write(`note: ${settingsToCarry(options.sourcePath, keys)}`);
    const missing = shortfalls(checks);
    if (missing.length > 0) {
      throw new Error(
        `verification failed: the target has fewer rows than the source for ${missing.length} table/tenant ` +
          'pair(s) (MISSING above). Rows written to the source during the copy, or deleted from the target, ' +
          'cause this: run the same command again, it copies only the leaves that are missing',
      );
    }
  } catch (error) {
    throw masked(error, options.targetUrl);
  } finally {
    source?.close();
    await importer?.close().catch(() => undefined);
    await store?.close();
  }
}

/** Migrates the target; a master key it records that the copy's keys lack is a refusal (exit 1). */
async function migrateTarget(store: PostgresStore): Promise<void> {
  try {
    await store.migrate();
  } catch (error) {
    if (error instanceof ConfigError) throw new CopyRefusedError(error.message);
    throw error;
  }
}

/** Copies the planned logs with a progress report, recording each committed batch in the state file. */
async function runCopy(
  source: SqliteExport,
  target: CopyTarget,
  plans: readonly LogPlan[],
  run: { state: CopyState; masterKeyIds: ReadonlySet<string> },
  options: CopyOptions,
): Promise<CopyCounts> {
  const total = plans.reduce((sum, plan) => sum + plan.log.assigned, 0);
  const done = plans.reduce((sum, plan) => sum + plan.present, 0);
  process.stderr.write(
    `copying ${total} leaves of ${plans.length} logs from sqlite:${options.sourcePath} to ${maskedUrl(options.targetUrl)}` +
      (done > 0 ? `, ${done} of them in the target already` : '') +
      '\n',
  );
  const progress = createCopyProgress(process.stderr);
  progress.start(total, done);
  // Only while batches run, to end with the bar closed and a message saying how to go on. Outside
  // them a signal ends the process at once, which is as safe: each batch is one transaction.
  const interrupt = new InterruptFlag();
  try {
    return await copyLogs(
      {
        source,
        target,
        batchSize: options.batchSize,
        masterKeyIds: run.masterKeyIds,
        onBatch(log: LogId, leaves: number, added: number) {
          recordLeaves(run.state, log.kind, log.tenantId, leaves);
          saveCopyState(options.stateFile, run.state);
          progress.advance(log.kind, added);
          if (interrupt.signal !== undefined) {
            throw new Error(
              `${interrupt.signal}: stopped after a committed batch of the ${log.kind} log of tenant ` +
                `${JSON.stringify(log.tenantId)}; run the same command again to continue from there`,
            );
          }
        },
      },
      plans,
    );
  } finally {
    interrupt.dispose();
    progress.stop();
  }
}

/**
 * Turns the first SIGINT or SIGTERM into a request to stop once the batch in flight is committed
 * and checkpointed; a second signal ends the process at once (Node's default).
 */
class InterruptFlag {
  signal: NodeJS.Signals | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.signal = signal;
  };

  constructor() {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * Writes the state before the first batch, so an unwritable place (the default is beside the
 * source, which may be read-only) fails at once, as a usage error naming --state.
 */
function saveInitialState(file: string, state: CopyState): void {
  try {
    saveCopyState(file, state);
  } catch (error) {
    throw new UsageError(
      `--state: cannot write ${file} (${(error as Error).message}); choose a writable place with --state FILE`,
    );
  }
}

/** A source that is missing or no sealog store is a mistake in --from: exit 2, like other usage errors. */
function openSource(path: string): SqliteExport {
  try {
    return new SqliteExport(path);
  } catch (error) {
    if (error instanceof NotASealogStoreError) throw new UsageError(`--from: ${error.message}`);
    throw error;
  }
}

/** The error with the target's password masked in its message, keeping its class for the exit status. */
function masked(error: unknown, url: string): unknown {
  if (error instanceof Error) error.message = maskPassword(error.message, url);
  return error;
}
