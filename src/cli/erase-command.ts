import { userInfo } from 'node:os';
import { erasureAccessRecord, erasureSummary } from '../privacy/erasure-record.js';
import { ACCESS_LOG_TABLE } from '../kinds/access-log/access-log-table.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { ErasureOutcome } from '../sealing/subject-erasure.js';
import { FIELD_KEY_MARK } from '../sealing/personal-fields.js';
import { withMigratedStore } from './command-helpers.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
  UsageError,
} from './settings-options.js';

export const ERASE_HELP = `Usage: sealog erase --tenant T --subject S [--json] [--database-url URL]

Erases data subject S of tenant T, as DELETE /v1/subjects/S does: destroys the
subject's keys, so that every personal field of its records (communication, MFA,
operate and access logs) reads [erased] in every API, while the records, their
leaves and every proof stay valid (sealog verify still passes). The subject's
search text is removed; the freed bytes are wiped from the store's files (SQLite:
secure delete and a WAL truncation; PostgreSQL: the key table is vacuumed).
Running it again changes nothing. The erasure is recorded in the tenant's access
log, by cli:<your OS user>. A server running on the same store stops showing the
erased fields within a second. Backups taken before hold the keys until they
expire: see README, Privacy.

Options:
${formatOptions([
  { flag: '--tenant T', help: 'the tenant the subject belongs to' },
  { flag: '--subject S', help: 'the subject: a user_id, operator_id or access-log actor' },
  { flag: '--json', help: 'print the outcome as JSON' },
  ...settingOptions(['DATABASE_URL']),
  HELP_OPTION,
])}
`;

/** `sealog erase`. */
export async function eraseCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('erase', args, {
    tenant: { type: 'string' },
    subject: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(ERASE_HELP);
    return;
  }
  const { tenant, subject } = values;
  if (tenant === undefined || tenant === '' || subject === undefined || subject === '') {
    throw new UsageError('name the tenant and the subject: --tenant T --subject S. See: sealog erase --help');
  }
  if (subject.startsWith(FIELD_KEY_MARK)) {
    throw new UsageError(
      'subjects starting with U+0001 are the keys of fields kept for less: sealog purge expires them',
    );
  }
  const config = configFrom(values, env);
  await withMigratedStore(config, async (store) => {
    const started = performance.now();
    const erasedBy = `cli:${userInfo().username}`;
    const outcome = await store.eraseSubject({ tenantId: tenant, subject, erasedBy, at: Date.now() });
    const record = erasureAccessRecord(outcome, erasedBy, Date.now(), performance.now() - started);
    await store.rows(ACCESS_LOG_TABLE).insertMany([record]);
    process.stdout.write(
      values.json === true ? `${JSON.stringify(erasureSummary(outcome))}\n` : describe(outcome),
    );
  });
}

function describe(outcome: ErasureOutcome): string {
  const lines = [
    outcome.keysDestroyed > 0
      ? `erased subject ${outcome.subject} of tenant ${outcome.tenantId}: ${outcome.keysDestroyed} key(s) destroyed`
      : outcome.erasedAt === undefined
        ? `subject ${outcome.subject} of tenant ${outcome.tenantId} has no keys: nothing of it is stored sealed`
        : `subject ${outcome.subject} of tenant ${outcome.tenantId} was erased already (${new Date(outcome.erasedAt).toISOString()})`,
    ...LOG_TABLES.map(
      (table) => `  ${table.table.padEnd(24)} ${outcome.records[table.kind] ?? 0} record(s) read [erased]`,
    ),
  ];
  if (!outcome.scrubbed) {
    lines.push(
      'warning: readers kept the SQLite WAL busy, so it still holds the deleted keys; run sealog erase again when the store is quieter',
    );
  }
  return `${lines.join('\n')}\n`;
}
