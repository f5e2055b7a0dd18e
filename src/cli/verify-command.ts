import { parseVerifierKey, type NoteVerifier } from '../integrity/checkpoints/signed-note.js';
import { logOrigin } from '../integrity/checkpoints/log-origin.js';
import { verifyLog, type LogVerification } from '../integrity/verify/log-verifier.js';
import { anchorsOf } from '../integrity/verify/trust-anchors.js';
import { describeFinding, type Finding } from '../integrity/verify/verify-findings.js';
import type { IntegrityLog, StoredRowCount, UnnumberedRow } from '../integrity/integrity-log.js';
import { logKey, type LogId } from '../integrity/sequencing/integrity-store.js';
import { publishedLogs } from '../integrity/verify/published-logs.js';
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
  /** Leaves whose rows a retention purge removed. */
  pruned: number;
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
  const { findings, logs, leaves, pending, pruned } = outcome;
  if (outcome.storeKeyTrusted && !values.json) {
    process.stderr.write(
      'note: checkpoints were checked against the key recorded in the store itself; give --checkpoints or --verifier-key for an anchor outside it\n',
    );
  }
  const seconds = (performance.now() - startedAt) / 1000;
  report(findings, { logs, leaves, pending, pruned, seconds }, values.json === true);
  if (findings.length > 0) {
    throw new Error(`${findings.length} finding(s): the store does not match its signed logs`);
  }
}

/**
 * Verifies every log `values` selects, then looks for rows in no leaf. The logs are those the store
 * lists, those published in `--checkpoints` (a log deleted from the store whole is only there) and
 * those with stored rows (a log whose state row is gone still has its rows and checkpoints).
 */
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
  const kinds = values.kind === undefined ? LOG_KINDS : [values.kind];
  const ofTenant = (log: { tenantId: string }) =>
    values.tenant === undefined || log.tenantId === values.tenant;
  const states = (await integrity.logStates()).filter((log) => ofTenant(log) && kinds.includes(log.kind));
  const published =
    identity === undefined || values.checkpoints === undefined
      ? []
      : (
          await publishedLogs(values.checkpoints, identity.originPrefix, kinds).catch((error: unknown) => {
            throw new UsageError(`--checkpoints: ${(error as Error).message}`);
          })
        ).filter(ofTenant);
  const findings: Finding[] = [];
  let leaves = 0;
  let pending = 0;
  let pruned = 0;
  let storeKeyTrusted = false;
  /** Per tenant and kind, what verifying its log found: the leaves it read and the rows they found. */
  const verified = new Map<string, Pick<LogVerification, 'leaves' | 'rowsFound'>>();
  const progress = createCopyProgress(process.stderr, { doing: 'verifying', line: 'verify' });

  const verifyOne = async (log: LogId): Promise<void> => {
    if (verified.has(logKey(log))) return;
    const origin = identity === undefined ? undefined : logOrigin(identity.originPrefix, log);
    // Read before the store's checkpoints (in verifyLog): every checkpoint published by then was
    // stored before it, so one missing from the store was deleted, even with a server running.
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
    const result = await verifyLog(integrity, log, anchors.verifiers, anchors.published, (count) => {
      progress.advance(`${log.tenantId}/${log.kind}`, count);
    });
    leaves += result.leaves;
    pruned += result.pruned;
    findings.push(...result.findings);
    verified.set(logKey(log), result);
  };

  progress.start(
    states.reduce((sum, log) => sum + log.assigned, 0),
    0,
  );
  try {
    for (const log of [...states, ...published]) await verifyOne(log);
    for (const kind of kinds) {
      const counts = (await integrity.rowCounts(kind)).filter(ofTenant);
      for (const count of counts) await verifyOne({ tenantId: count.tenantId, kind });
      // Each stored row a leaf found is a distinct row (a leaf names its row): as many found as
      // stored leaves none outside the leaves, and the probe of every row is spared.
      const accounted = counts.every((count) => {
        const found = verified.get(logKey({ tenantId: count.tenantId, kind }))?.rowsFound;
        return found?.records === count.records && found.transitions === count.transitions;
      });
      if (accounted) continue;
      const probed = await integrity.unnumbered(kind, UNNUMBERED_LIMIT);
      const unnumbered = probed.filter(ofTenant);
      for (const row of unnumbered) {
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
      // A probe cut short lists only some of the rows in no leaf: it leaves the rest unexplained.
      if (probed.length < UNNUMBERED_LIMIT) {
        findings.push(...(await numberedPastState(integrity, kind, counts, unnumbered, verified)));
      }
    }
  } finally {
    progress.stop();
  }
  if (values.tenant !== undefined && verified.size === 0 && findings.length === 0 && pending === 0) {
    // Most likely a mistyped tenant: "nothing found" would read as the tenant's logs checked.
    throw new UsageError(
      `no log of tenant ${JSON.stringify(values.tenant)}${values.kind === undefined ? '' : ` and kind ${values.kind}`} in this store: check --tenant`,
    );
  }
  return { findings, logs: verified.size, leaves, pending, pruned, storeKeyTrusted };
}

/**
 * The logs of `kind` with stored rows that neither their leaves found nor the probe listed as in no
 * leaf: rows numbered in leaves past the log's state (its row deleted, or set back). Only when the
 * state is still what was verified: leaves numbered since (a server running) would read the same.
 */
async function numberedPastState(
  integrity: IntegrityLog,
  kind: string,
  counts: readonly StoredRowCount[],
  unnumbered: readonly UnnumberedRow[],
  verified: ReadonlyMap<string, Pick<LogVerification, 'leaves' | 'rowsFound'>>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const count of counts) {
    const log = { tenantId: count.tenantId, kind };
    const done = verified.get(logKey(log));
    if (done === undefined) continue;
    const listed = unnumbered.filter((row) => row.tenantId === count.tenantId);
    const records = listed.filter((row) => row.transition === 0).length;
    const beyond =
      Math.max(0, count.records - done.rowsFound.records - records) +
      Math.max(0, count.transitions - done.rowsFound.transitions - (listed.length - records));
    if (beyond === 0 || (await integrity.logState(log)).assigned !== done.leaves) continue;
    findings.push({
      ...log,
      finding: 'truncated',
      detail: `${beyond} stored row(s) are numbered in leaves past the ${done.leaves} its log state counts: the state was deleted or set back`,
    });
  }
  return findings;
}

function report(
  findings: readonly Finding[],
  summary: { logs: number; leaves: number; pending: number; pruned: number; seconds: number },
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
      (summary.pruned > 0
        ? `; ${summary.pruned} leaves pruned by retention (checked by their stored hashes only)`
        : '') +
      '\n',
  );
}
