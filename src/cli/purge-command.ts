import { LOG_TABLES } from '../kinds/log-tables.js';
import { isFieldReport, type PurgeReport } from '../retention/purge-store.js';
import { PurgeService } from '../retention/purge-service.js';
import { RetentionService } from '../retention/retention-service.js';
import { withMigratedStore } from './command-helpers.js';
import { createCopyProgress } from './copy-progress.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
  UsageError,
} from './settings-options.js';

export const PURGE_HELP = `Usage: sealog purge [--dry-run] [--tenant T] [--kind K] [--json] [--database-url URL]

Removes the logs older than their retention (RETENTION, and each tenant's own periods
set with PUT /v1/retention/{tenant_id}), as the server does every PURGE_INTERVAL: in
batches of 2,000 rows, each its own transaction, so ingest and queries go on meanwhile
(on SQLite it waits after each batch as long as the batch took, so that a server on the
same file gets the write lock in between). On PostgreSQL a month partition that every
tenant's retention has passed is detached whole first (a lock held for a catalog change
only) and its rows' derived data removed in batches after.
With each row go its transitions, id claims and search entries; the tallies stay exact.
The signed logs keep the removed records' hashes, so every proof of the rest still
verifies and sealog verify reports them as pruned, not as tampering. One purge runs at a
time, whichever process starts it; prints a report per tenant and kind, also kept for
GET /v1/retention/reports. On SQLite the freed space goes back to the file system (stores
created by this version) or is reused by new rows.

Options:
${formatOptions([
  { flag: '--dry-run', help: 'count what would be removed, remove nothing' },
  { flag: '--tenant T', help: 'only this tenant' },
  {
    flag: '--kind K',
    help: 'only this kind: communication-logs, mfa-config-audit-logs, operate-logs or access-logs',
  },
  { flag: '--json', help: 'print the reports as JSON, one per line' },
  ...settingOptions(['DATABASE_URL', 'RETENTION']),
  HELP_OPTION,
])}
`;

/** `sealog purge`. */
export async function purgeCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('purge', args, {
    'dry-run': { type: 'boolean' },
    tenant: { type: 'string' },
    kind: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(PURGE_HELP);
    return;
  }
  const kind = values.kind === undefined ? undefined : kindNamed(values.kind);
  const config = configFrom(values, env);
  await withMigratedStore(config, async (store) => {
    const service = new PurgeService(
      store,
      () => store.integrity.logStates(),
      new RetentionService(store.retentionOverrides, config.retention),
    );
    // A server on the same SQLite file needs the one write lock too: take turns with it, waiting
    // after each batch as long as the batch took (half the speed of a purge alone, or of the
    // server's own scheduled purge, whose batches share its writer with ingest).
    const pace =
      config.store.kind === 'sqlite'
        ? (batchMs: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(batchMs, 20)))
        : undefined;
    const scope = { tenantId: values.tenant, kind, pace };
    const dryRun = values['dry-run'] === true;
    let reports: PurgeReport[];
    if (dryRun) {
      reports = await ran(service.run({ ...scope, dryRun }));
    } else {
      const expected = await ran(service.run({ ...scope, dryRun: true, record: false }));
      const progress = createCopyProgress(process.stderr, { doing: 'purging', line: 'purge' });
      // Rows only: a field's report counts days.
      const rows = expected.filter((report) => !isFieldReport(report));
      progress.start(
        rows.reduce((sum, report) => sum + report.removed, 0),
        0,
      );
      // A log's rows may be heard of in turns (whole partitions first, then its own batches).
      const heard = new Map<string, number>();
      try {
        reports = await ran(
          service.run({
            ...scope,
            onProgress: ({ tenantId, kind: of, removed }) => {
              const log = `${tenantId}/${of}`;
              progress.advance(log, removed - (heard.get(log) ?? 0));
              heard.set(log, removed);
            },
          }),
        );
      } finally {
        progress.stop();
      }
    }
    process.stdout.write(
      values.json === true
        ? reports.map((report) => `${JSON.stringify(report)}\n`).join('')
        : describe(reports, dryRun),
    );
  });
}

/** The reports of a run that ran; an Error naming why when another process was purging. */
async function ran(run: ReturnType<PurgeService['run']>): Promise<PurgeReport[]> {
  const outcome = await run;
  if (!outcome.ran) throw new Error(`${outcome.reason}: try again once it is done`);
  return outcome.reports;
}

/** A kind as --kind names it: `operate-logs` (as RETENTION does) or `operate-log`. */
function kindNamed(name: string): string {
  const table = LOG_TABLES.find((candidate) => name === candidate.kind || name === `${candidate.kind}s`);
  if (table === undefined) {
    throw new UsageError(
      `--kind ${name} is no kind: use one of ${LOG_TABLES.map((candidate) => `${candidate.kind}s`).join(', ')}`,
    );
  }
  return table.kind;
}

function describe(reports: readonly PurgeReport[], dryRun: boolean): string {
  if (reports.length === 0) return 'no log has a retention to apply (every kind kept forever, or no logs)\n';
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const lines = reports.map((report) => {
    if (isFieldReport(report)) {
      const kept = report.oldestKept === undefined ? 'none left' : `readable from ${day(report.oldestKept)}`;
      return `${report.tenantId}/${report.kind}: values of ${report.removed} day(s) ${dryRun ? 'would expire' : 'expired'} (before ${day(report.cutoff)}), ${kept}, ${report.durationMs} ms`;
    }
    const oldest =
      report.oldestKept === undefined
        ? 'none left'
        : `oldest kept ${new Date(report.oldestKept).toISOString()}`;
    return `${report.tenantId}/${report.kind}: ${report.removed} row(s) ${dryRun ? 'would be removed' : 'removed'} (older than ${new Date(report.cutoff).toISOString()}), ${oldest}, ${report.durationMs} ms`;
  });
  const total = reports
    .filter((report) => !isFieldReport(report))
    .reduce((sum, report) => sum + report.removed, 0);
  lines.push(`${dryRun ? 'would remove' : 'removed'} ${total} row(s) in all`);
  return `${lines.join('\n')}\n`;
}
