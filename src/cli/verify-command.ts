import { parseVerifierKey, type NoteVerifier } from '../integrity/checkpoints/signed-note.js';
import { logOrigin } from '../integrity/checkpoints/log-origin.js';
import { verifyLog, type LogVerification } from '../integrity/verify/log-verifier.js';
import { anchorsOf } from '../integrity/verify/trust-anchors.js';
import { describeFinding, type Finding } from '../integrity/verify/verify-findings.js';
import { openStore, type OpenedStore } from '../storage/open-store.js';
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

Exit status: 0 nothing found, 1 tampering found, 2 usage or access error.

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

/** `sealog verify`: resolves when nothing was found; throws (exit 1) on findings, UsageError (exit 2) when the store cannot be read. */
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
  let given: NoteVerifier[];
  try {
    given = (values['verifier-key'] ?? []).map((text) => parseVerifierKey(text));
  } catch (error) {
    throw new UsageError(`--verifier-key: ${(error as Error).message}`);
  }
  const config = configFrom(values, env);
  let store: OpenedStore;
  try {
    store = openStore(config.store, { integrity: config.integrity });
  } catch (error) {
    throw new UsageError(`cannot open the store: ${(error as Error).message}`);
  }
  const startedAt = performance.now();
  const findings: Finding[] = [];
  let leaves = 0;
  let pending = 0;
  try {
    const identity = await store.integrity.identity().catch((error: unknown) => {
      throw new UsageError(
        `cannot read the store's integrity log (${(error as Error).message}): check DATABASE_URL, and run sealog migrate on a store of an older version`,
      );
    });
    const logs = (await store.integrity.logStates()).filter(
      (log) =>
        (values.tenant === undefined || log.tenantId === values.tenant) &&
        (values.kind === undefined || log.kind === values.kind),
    );
    const progress = createCopyProgress(process.stderr, { doing: 'verifying', line: 'verify' });
    progress.start(
      logs.reduce((sum, log) => sum + log.assigned, 0),
      0,
    );
    let storeKeyTrusted = false;
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
              );
        if (anchors.keySource === 'store') storeKeyTrusted = true;
        const result: LogVerification = await verifyLog(
          store.integrity,
          log,
          anchors.verifiers,
          anchors.published,
          (count) => {
            progress.advance(`${log.tenantId}/${log.kind}`, count);
          },
        );
        leaves += result.leaves;
        findings.push(...result.findings);
      }
    } finally {
      progress.stop();
    }
    for (const kind of values.kind === undefined ? LOG_KINDS : [values.kind]) {
      for (const row of await store.integrity.unnumbered(kind, UNNUMBERED_LIMIT)) {
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
    if (storeKeyTrusted && !values.json) {
      process.stderr.write(
        'note: checkpoints were checked against the key recorded in the store itself; give --checkpoints or --verifier-key for an anchor outside it\n',
      );
    }
    const seconds = (performance.now() - startedAt) / 1000;
    report(findings, { logs: logs.length, leaves, pending, seconds }, values.json === true);
    if (findings.length > 0) {
      throw new Error(`${findings.length} finding(s): the store does not match its signed logs`);
    }
  } finally {
    await store.close();
  }
}

const LOG_KINDS = ['communication-log', 'mfa-config-audit-log', 'operate-log', 'access-log'];

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
