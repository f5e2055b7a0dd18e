import { resolve } from 'node:path';
import { parseConfig } from '../config.js';
import type { AuditStore, InsertOutcome } from '../domain/audit-store.js';
import { openStore } from '../storage/open-store.js';
import { COMMUNICATION_LOG_TABLE } from '../kinds/communication-log/communication-log-table.js';
import type { LogRow } from '../kinds/log-table.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import { NotASealogStoreError, SqliteExport, type ExportKey } from '../storage/sqlite/sqlite-export.js';
import { parseCopyOptions, type CopyOptions } from './copy-options.js';
import { createCopyProgress, type CopyProgress } from './copy-progress.js';
import {
  freshCopyState,
  loadCopyState,
  maskedUrl,
  maskPassword,
  removeCopyState,
  saveCopyState,
  withoutPassword,
  type CopyState,
} from './copy-state.js';
import { compareTallies, formatTallyChecks, shortfalls } from './copy-verification.js';
import { UsageError } from './settings-options.js';

export const COPY_HELP = `Usage: sealog copy --from sqlite:PATH --to postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE [options]

Copies every log of an embedded SQLite store into PostgreSQL, for when one
machine is no longer enough; each communication log travels with its
delivery-status history. The tables, in the order they are copied:
${LOG_TABLES.map(({ table }) => `  ${table}`).join('\n')}

The source is only read, so a server may keep running on it. The target's
schema is created or brought up to date first; rows it holds already are kept,
and a row stored there already is not stored twice.

The copy walks each table in (tenant_id, id) order, one transaction per batch,
and after every batch records how far it got in a state file. If it is
interrupted (Ctrl-C, a crash, a lost connection), run the same command again:
it continues after the last committed batch. When every table is copied the
state file is deleted and the rows per table and tenant are counted on both
sides; every source count must be matched by the target (which may hold more).

Tuya access tokens and nonces are not copied: Tuya clients fetch new tokens.

Options:
  --from sqlite:PATH  the SQLite store file to copy from (required)
  --to URL            the PostgreSQL database to copy into, postgres://… or
                      postgresql://… (required); its password is never printed
                      nor written to the state file
  --batch-size N      rows per batch and transaction, 1 to 10000 (default 1000)
  --state FILE        the state file (default PATH.copy-state.json, beside the
                      source)
  --restart           ignore the state file and copy from the first row (rows
                      already in the target are skipped, not duplicated)
  -h, --help          show this help

Progress goes to stderr: a bar on a terminal, otherwise a line every few seconds.
The counts and the summary go to stdout. Exit status: 0 copied and verified,
1 failed or rows are missing in the target, 2 a mistake in the command line.

Example:
  sealog copy --from sqlite:./data/sealog.db --to postgres://sealog@db.internal:5432/sealog
`;

/** Rows of one run, for the summary. */
interface CopyCounts {
  /** Rows this run stored in the target. */
  inserted: number;
  /** Rows this run read whose (tenant_id, id) the target held already. */
  present: number;
  /** Rows an earlier, interrupted run copied, which this run did not read again. */
  resumed: number;
}

/** `sealog copy`: SQLite store → PostgreSQL, resumable, verified by counts. */
export async function copyCommand(args: string[]): Promise<void> {
  const options = parseCopyOptions(args);
  if (options === undefined) {
    process.stdout.write(COPY_HELP);
    return;
  }
  const target = maskedUrl(options.targetUrl);
  const startedAt = performance.now();
  let source: SqliteExport | undefined;
  let store: AuditStore | undefined;
  try {
    source = openSource(options.sourcePath);
    store = openStore(parseConfig({ DATABASE_URL: options.targetUrl }).store);
    await store.migrate();
    const identity = [resolve(options.sourcePath), withoutPassword(options.targetUrl)] as const;
    const { state, note } = options.restart
      ? { state: freshCopyState(...identity), note: 'starting from the first row (--restart)' }
      : loadCopyState(options.stateFile, ...identity);
    if (note !== undefined) process.stderr.write(`note: ${note}\n`);
    saveInitialState(options.stateFile, state);
    const counts = await copyTables(source, store, state, options);
    // The walk is complete: a later run must look at every row again, since rows added to the
    // source behind a walk's position are only found by starting over.
    removeCopyState(options.stateFile);
    process.stderr.write('counting rows per table and tenant in the source and the target…\n');
    const checks = compareTallies(source.tally(), await store.tally());
    process.stdout.write(formatTallyChecks(checks));
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    process.stdout.write(
      `copied ${counts.inserted} new rows to ${target} in ${seconds} s; ${counts.present} were in the target already` +
        (counts.resumed > 0 ? `; resumed after ${counts.resumed} rows copied by an earlier run` : '') +
        '\n',
    );
    const missing = shortfalls(checks);
    if (missing.length > 0) {
      throw new Error(
        `verification failed: the target has fewer rows than the source for ${missing.length} table/tenant ` +
          'pair(s) (MISSING above). Rows written to the source during the copy, or deleted from the target, ' +
          'cause this: run the same command again, it stores only the rows that are missing',
      );
    }
  } catch (error) {
    throw masked(error, options.targetUrl);
  } finally {
    source?.close();
    await store?.close();
  }
}

/** Copies every kind's table in turn, each from its checkpoint on; returns what this run did. */
async function copyTables(
  source: SqliteExport,
  store: AuditStore,
  state: CopyState,
  options: CopyOptions,
): Promise<CopyCounts> {
  const totals = LOG_TABLES.map(({ table }) => source.countRows(table, undefined));
  const remaining = LOG_TABLES.map(({ table }) => source.countRows(table, state.after[table]));
  const total = totals.reduce((sum, rows) => sum + rows, 0);
  const counts: CopyCounts = {
    inserted: 0,
    present: 0,
    resumed: total - remaining.reduce((sum, rows) => sum + rows, 0),
  };
  process.stderr.write(
    `copying ${total} rows from sqlite:${options.sourcePath} to ${maskedUrl(options.targetUrl)}` +
      (counts.resumed > 0 ? `, resuming after ${counts.resumed} rows (state in ${options.stateFile})` : '') +
      '\n',
  );
  const progress = createCopyProgress(process.stderr);
  progress.start(total, counts.resumed);
  // Only while batches run, to end with the bar closed and a message saying how to go on. Outside
  // them a signal ends the process at once, which is as safe: the state never runs ahead of the target.
  const interrupt = new InterruptFlag();
  const run: TableRun = { state, stateFile: options.stateFile, progress, counts, interrupt };
  try {
    const size = options.batchSize;
    const keyOf = (row: LogRow): ExportKey => ({ tenantId: row.tenant_id, id: row.id });
    for (const table of LOG_TABLES) {
      // A communication log travels with its delivery-status history; every other kind is its rows.
      if (table.table === COMMUNICATION_LOG_TABLE.table) {
        await copyTable(run, table.table, (after) => source.communicationLogBatches(after, size), {
          write: async (rows) => store.communicationLogs.importMany(await source.openHistories(rows)),
          keyOf: ({ log }) => keyOf(log),
        });
      } else {
        await copyTable(run, table.table, (after) => source.batches(table, after, size), {
          write: async (rows) => store.rows(table).insertMany(await source.open(table, rows)),
          keyOf,
        });
      }
    }
  } finally {
    interrupt.dispose();
    progress.stop();
  }
  return counts;
}

interface TableRun {
  state: CopyState;
  stateFile: string;
  progress: CopyProgress;
  counts: CopyCounts;
  interrupt: InterruptFlag;
}

/** Writes batch after batch, saving the checkpoint once each is committed. */
async function copyTable<Row>(
  run: TableRun,
  table: string,
  batches: (after: ExportKey | undefined) => Iterable<Row[]>,
  target: { write: (rows: Row[]) => Promise<InsertOutcome>; keyOf: (row: Row) => ExportKey },
): Promise<void> {
  run.progress.advance(table, 0);
  for (const rows of batches(run.state.after[table])) {
    const last = rows[rows.length - 1];
    if (last === undefined) continue;
    const outcome = await target.write(rows);
    run.state.after[table] = target.keyOf(last);
    saveCopyState(run.stateFile, run.state);
    run.counts.inserted += outcome.ids.length - outcome.duplicates.length;
    run.counts.present += outcome.duplicates.length;
    run.progress.advance(table, rows.length);
    if (run.interrupt.signal !== undefined) {
      throw new Error(
        `${run.interrupt.signal}: stopped after a committed batch of ${table}; ` +
          'run the same command again to continue from there',
      );
    }
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
