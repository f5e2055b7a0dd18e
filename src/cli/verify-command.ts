import { parseVerifierKey, type NoteVerifier } from '../integrity/checkpoints/signed-note.js';
import { logOrigin } from '../integrity/checkpoints/log-origin.js';
import { verifyLog, type LogVerification } from '../integrity/verify/log-verifier.js';
import { anchorsOf } from '../integrity/verify/trust-anchors.js';
import { describeFinding, type Finding } from '../integrity/verify/verify-findings.js';
import type { IntegrityLog } from '../integrity/integrity-log.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import { openIntegrityReadout, type IntegrityReadout } from '../storage/integrity-readout.js';
import { createCopyProgress } from './copy-progress.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
  UsageError,
} from './settings-options.js';

export const VERIFY_HELP = `Usage: sealog verify [--database-url URL] [--tenant T] [--kind K]
                     [--checkpoints DIR] [--verifier-key VKEY]... [--json]

Checks the store against its integrity logs (docs/integrity.md): recomputes every
leaf from the stored rows, every tree root, every checkpoint signature, and compares
the store's checkpoints with the copies published outside it. Names what it finds:
an edited, removed or inserted record, a truncated or forked log, a bad signature.
Reads only; a server may keep running.

Trust: the key.vkey of each log's directory under --checkpoints, else a
--verifier-key naming the log's origin, else the key recorded in the store (which
whoever can rewrite the store can replace too: give published copies).

Exit status: 0 nothing found, 1 tampering found, 2 no verdict (usage, no store at the
path, or the store or published checkpoints unreadable). Creates nothing.

Options:
${formatOptions([
  ...settingOptions(['DATABASE_URL']),
  { flag: '--tenant T', help: 'only the logs of tenant T' },
  {
    flag: '--kind K',
    help: 'only logs of kind K (communication-log, mfa-config-audit-log, operate-log, access-log)',
  },
  { flag: '--checkpoints DIR', help: 'CHECKPOINT_DIR as published: checkpoints and key.vkey per log' },
  { flag: '--verifier-key VKEY', help: 'a trusted verifier key <origin>+<id>+<key> (repeatable)' },
  { flag: '--json', help: 'one JSON object per finding, then a summary' },
  HELP_OPTION,
])}
`;

/** Pending rows counted per log kind, at most this many looked at. */
const UNNUMBERED_LIMIT = 100_000;

/** The kinds of log a store keeps, in the order verify checks them. */
const LOG_KINDS = LOG_TABLES.map((table) => table.kind);

/** What one run of verify found and read. */
interface VerifyOutcome {
  findings: Finding[];
  logs: number;
  leaves: number;
  pending: number;
  storeKeyTrusted: boolean;
}

/**
 * `sealog verify`: resolves when nothing was found; throws an Error (exit 1) on findings, and a
 * UsageError (exit 2) for anything that stops it before a verdict — a usage mistake, a store that
 * cannot be opened or read, unreadable published checkpoints — so that exit 1 always means found.
 */
export async function verifyCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('verify', args, {
    tenant: { type: 'string' },
    kind: { type: 'string' },
    checkpoints: { type: 'string' },
    'verifier-key': { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(VERIFY_HELP);
    return;
  }
  if (values.kind !== undefined && !LOG_KINDS.includes(values.kind)) {
    throw new UsageError(`--kind: no log kind ${values.kind} (kinds: ${LOG_KINDS.join(', ')})`);
  }
  let given: NoteVerifier[];
  try {
    given = (values['verifier-key'] ?? []).map((text) => parseVerifierKey(text));
  } catch (error) {
    throw new UsageError(`--verifier-key: ${(error as Error).message}`);
  }
  const config = configFrom(values, env);
  let store: IntegrityReadout;
  try {
    store = openIntegrityReadout(config.store);
  } catch (error) {
    throw new UsageError(`cannot open the store: ${(error as Error).message}`);
  }
  const startedAt = performance.now();
  let outcome: VerifyOutcome;
  try {
    outcome = await verifyStore(store.integrity, values, given);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // No verdict: exit 1 would say tampering was found.
    throw new UsageError(`stopped before a verdict, nothing concluded: ${(error as Error).message}`);
  } finally {
    await store.close();
  }
  const { findings, logs, leaves, pending } = outcome;
  if (outcome.storeKeyTrusted && !values.json) {
    process.stderr.write(
      'note: checkpoints were checked against the key recorded in the store itself; give --checkpoints or --verifier-key for an anchor outside it\n',
    );
  }
  const seconds = (performance.now() - startedAt) / 1000;
  report(findings, { logs, leaves, pending, seconds }, values.json === true);
  if (findings.length > 0) {
    throw new Error(`${findings.length} finding(s): the store does not match its signed logs`);
  }
}

/** Verifies every log `values` selects, then looks for rows in no leaf. */
async function verifyStore(
  integrity: IntegrityLog,
  values: { tenant?: string | undefined; kind?: string | undefined; checkpoints?: string | undefined },
  given: readonly NoteVerifier[],
): Promise<VerifyOutcome> {
  const identity = await integrity.identity().catch((error: unknown) => {
    throw new UsageError(
      `cannot read the store's integrity log (${(error as Error).message}): check DATABASE_URL, and run sealog migrate on a store of an older version`,
    );
  });
  const logs = (await integrity.logStates()).filter(
    (log) =>
      (values.tenant === undefined || log.tenantId === values.tenant) &&
      (values.kind === undefined || log.kind === values.kind),
  );
  const findings: Finding[] = [];
  let leaves = 0;
  let pending = 0;
  const progress = createCopyProgress(process.stderr, { doing: 'verifying', line: 'verify' });
  progress.start(
    logs.reduce((sum, log) => sum + log.assigned, 0),
    0,
  );
  let storeKeyTrusted = false;
  /** Per tenant and kind, the rows the leaves found. */
  const rowsFound = new Map<string, LogVerification['rowsFound']>();
  try {
    for (const log of logs) {
      const origin = identity === undefined ? undefined : logOrigin(identity.originPrefix, log);
      const anchors =
        origin === undefined
          ? { verifiers: [], published: [], keySource: 'store' as const }
          : await anchorsOf(
              origin,
              values.checkpoints,
              given,
              identity === undefined ? undefined : Buffer.from(identity.publicKey, 'base64'),
            ).catch((error: unknown) => {
              throw new UsageError(`--checkpoints: ${(error as Error).message}`);
            });
      if (anchors.keySource === 'store') storeKeyTrusted = true;
      const result: LogVerification = await verifyLog(
        integrity,
        log,
        anchors.verifiers,
        anchors.published,
        (count) => {
          progress.advance(`${log.tenantId}/${log.kind}`, count);
        },
      );
      leaves += result.leaves;
      findings.push(...result.findings);
      rowsFound.set(`${log.tenantId}\u0000${log.kind}`, result.rowsFound);
    }
  } finally {
    progress.stop();
  }
  for (const kind of values.kind === undefined ? LOG_KINDS : [values.kind]) {
    // Each stored row a leaf found is a distinct row (a leaf names its row): as many found as
    // stored leaves none outside the leaves, and the probe of every row is spared.
    const counts = (await integrity.rowCounts(kind)).filter(
      (count) => values.tenant === undefined || count.tenantId === values.tenant,
    );
    const accounted = counts.every((count) => {
      const found = rowsFound.get(`${count.tenantId}\u0000${kind}`);
      return found?.records === count.records && found.transitions === count.transitions;
    });
    if (accounted) continue;
    for (const row of await integrity.unnumbered(kind, UNNUMBERED_LIMIT)) {
      if (values.tenant !== undefined && row.tenantId !== values.tenant) continue;
      if (row.pending) {
        pending++;
        continue;
      }
      findings.push({
        tenantId: row.tenantId,
        kind,
        finding: 'inserted',
        recordId: row.recordId,
        transition: row.transition,
        detail: `in no leaf of the log: stored behind sealog's back`,
      });
    }
  }
  if (values.tenant !== undefined && logs.length === 0 && findings.length === 0 && pending === 0) {
    // Most likely a mistyped tenant: "nothing found" would read as the tenant's logs checked.
    throw new UsageError(
      `no log of tenant ${JSON.stringify(values.tenant)}${values.kind === undefined ? '' : ` and kind ${values.kind}`} in this store: check --tenant`,
    );
  }
  return { findings, logs: logs.length, leaves, pending, storeKeyTrusted };
}

function report(
  findings: readonly Finding[],
  summary: { logs: number; leaves: number; pending: number; seconds: number },
  json: boolean,
): void {
  const rate = summary.seconds > 0 ? Math.round(summary.leaves / summary.seconds) : summary.leaves;
  if (json) {
    for (const finding of findings) process.stdout.write(`${JSON.stringify(finding)}\n`);
    process.stdout.write(
      `${JSON.stringify({ summary: { ...summary, findings: findings.length, leavesPerSecond: rate } })}\n`,
    );
    return;
  }
  for (const finding of findings) process.stdout.write(`${describeFinding(finding)}\n`);
  process.stdout.write(
    `verified ${summary.logs} log(s), ${summary.leaves} leaves in ${summary.seconds.toFixed(1)} s (${rate} leaves/s): ` +
      (findings.length === 0 ? 'nothing found' : `${findings.length} finding(s)`) +
      (summary.pending > 0 ? `; ${summary.pending} row(s) written and not numbered yet` : '') +
      '\n',
  );
}
