import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type {
  CommunicationLog,
  StatusTransition,
} from '../../src/kinds/communication-log/communication-log-table.js';
import type { MfaConfigAuditLog } from '../../src/kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import type { AuditStore } from '../../src/domain/audit-store.js';
import {
  DAY_MS,
  MFA_CONFIG_AUDIT_LOG_TABLE,
} from '../../src/kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { communicationLog, mfaLog, type StoreFixture } from './store-contract.js';

const MIDNIGHT = Date.UTC(2026, 3, 15);
const EVERYTHING = { limit: 1000, offset: 0 };

/** The `i`-th of `values`, round and round. */
function cycle<T>(values: readonly T[], i: number): T {
  return values[i % values.length] as T;
}

/** Every combination of the given filter values, each field also left out. */
function combinations<Filter extends object>(choices: {
  [K in keyof Filter]: Filter[K][];
}): Partial<Filter>[] {
  let result: Partial<Filter>[] = [{}];
  for (const key of Object.keys(choices) as (keyof Filter)[]) {
    result = result.flatMap((partial) =>
      [undefined, ...choices[key]].map((value) => ({ ...partial, [key]: value })),
    );
  }
  return result;
}

/** Asserts, for every combination of filters, that a communication-log list's total is its row count. */
async function assertCommunicationTotals(store: AuditStore): Promise<void> {
  const all = await store.communicationLogs.list({}, EVERYTHING);
  const filters = combinations({
    tenantId: ['tnt_a', 'tnt_b', 'tnt_none'],
    userId: ['usr_alice'],
    channel: ['sms', 'email'] as const,
    status: ['pending', 'sent', 'failed'] as const,
  });
  for (const filter of filters) {
    const page = await store.communicationLogs.list(filter, EVERYTHING);
    const expected = all.rows.filter(
      (row) =>
        (filter.tenantId === undefined || row.tenant_id === filter.tenantId) &&
        (filter.userId === undefined || row.user_id === filter.userId) &&
        (filter.channel === undefined || row.channel === filter.channel) &&
        (filter.status === undefined || row.status === filter.status),
    );
    assert.equal(page.total, expected.length, `total of ${JSON.stringify(filter)}`);
    assert.equal(page.rows.length, expected.length, `rows of ${JSON.stringify(filter)}`);
  }
}

/**
 * Asserts that an MFA list's total is its row count for every combination of filters and of
 * bounds on, just before and just after midnights, in the middle of a day, at the epoch and in 1969.
 */
async function assertMfaTotals(store: AuditStore): Promise<void> {
  const all = await store.mfaConfigAuditLogs.list({}, EVERYTHING);
  const bounds = [
    -DAY_MS,
    -DAY_MS + 5,
    -1,
    0,
    MIDNIGHT - 2 * DAY_MS,
    MIDNIGHT - DAY_MS - 1,
    MIDNIGHT,
    MIDNIGHT + 1,
    MIDNIGHT + 3_600_000,
    MIDNIGHT + DAY_MS,
    MIDNIGHT + 2 * DAY_MS + 1,
  ];
  const filters = combinations({
    tenantId: ['tnt_a'],
    action: ['mfa_sms.enabled'],
    targetType: ['mfa_totp'],
    operatorId: ['usr_root'],
    fromMs: bounds,
    untilMs: bounds,
  });
  for (const filter of filters) {
    const page = await store.mfaConfigAuditLogs.list(filter, EVERYTHING);
    const expected = all.rows.filter(
      (log) =>
        (filter.tenantId === undefined || log.tenant_id === filter.tenantId) &&
        (filter.action === undefined || log.action === filter.action) &&
        (filter.targetType === undefined || log.target_type === filter.targetType) &&
        (filter.operatorId === undefined || log.operator_id === filter.operatorId) &&
        (filter.fromMs === undefined || log.timestamp >= filter.fromMs) &&
        (filter.untilMs === undefined || log.timestamp < filter.untilMs),
    );
    assert.equal(page.total, expected.length, `total of ${JSON.stringify(filter)}`);
    assert.equal(page.rows.length, expected.length, `rows of ${JSON.stringify(filter)}`);
  }
}

/** One INSERT of `rows` (all with the same keys) into `table`, values written as SQL literals. */
function insertStatement(table: string, rows: readonly object[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const literal = (value: string | number | null) =>
    value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;
  const values = rows.map(
    (row) => `(${(Object.values(row) as (string | number | null)[]).map(literal).join(', ')})`,
  );
  return `INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(', ')}) VALUES ${values.join(', ')}`;
}

/** A store for the list-totals contract, with a way around it to the database. */
export interface ListTotalsFixture extends StoreFixture {
  /** Runs `sql` on the store's database directly, as an operator's clean-up would. */
  execute(sql: string): Promise<void>;
}

/**
 * Opens a migrated store; with `beforeTallies`, one migrated only up to the version before the
 * tallies, so that its `migrate()` has rows to backfill from.
 */
export type OpenListTotalsFixture = (options?: { beforeTallies?: boolean }) => Promise<ListTotalsFixture>;

/**
 * List totals come from tallies the stores keep on every write; whatever was written, a list's
 * `total` must equal the number of rows the same filter returns.
 */
export function describeListTotalsContract(name: string, open: OpenListTotalsFixture): void {
  describe(`AuditStore list totals: ${name}`, () => {
    let fixture: ListTotalsFixture;
    let store: AuditStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    test('communication-log totals follow inserts, duplicates, failed batches and transitions', async () => {
      const logs: CommunicationLog[] = [];
      for (let i = 0; i < 40; i++) {
        logs.push(
          communicationLog({
            tenant_id: ['tnt_a', 'tnt_b'][i % 2],
            id: `log_${i}`,
            user_id: ['usr_alice', 'usr_bob', 'usr_carol'][i % 3],
            channel: (['sms', 'email', 'push'] as const)[i % 3 === 0 ? 0 : (i >> 1) % 3],
            status: i % 5 === 0 ? 'sent' : 'pending',
            created_at: MIDNIGHT + i * 1000,
          }),
        );
      }
      await store.communicationLogs.insertMany(logs.slice(0, 30));
      await store.communicationLogs.insertMany(logs.slice(20));
      await assert.rejects(
        store.communicationLogs.insertMany([
          communicationLog({ id: 'lost', channel: 'email' }),
          communicationLog({ id: 'bad', user_id: null as unknown as string }),
        ]),
      );
      const move = (log: CommunicationLog, to: StatusTransition['to_status']): StatusTransition => ({
        tenant_id: log.tenant_id,
        log_id: log.id,
        from_status: log.status,
        to_status: to,
        error: null,
        response: null,
        sent_at: null,
        changed_at: MIDNIGHT + 60_000,
      });
      for (const log of logs.filter((_, i) => i % 4 === 1)) {
        assert.equal(await store.communicationLogs.applyTransition(move(log, 'sent')), true);
      }
      assert.equal(
        await store.communicationLogs.applyTransition(move(logs[1] as CommunicationLog, 'failed')),
        false,
        'a refused compare-and-set changes no total',
      );

      assert.equal((await store.communicationLogs.list({}, EVERYTHING)).total, 40);
      await assertCommunicationTotals(store);
    });

    test('MFA totals count whole days from tallies and partial days row by row', async () => {
      const logs: MfaConfigAuditLog[] = [];
      // Four days around MIDNIGHT, rows on and either side of each midnight, plus 1969.
      for (let i = 0; i < 48; i++) {
        logs.push(
          mfaLog({
            tenant_id: i % 7 === 0 ? 'tnt_b' : 'tnt_a',
            id: `mfa_${i}`,
            action: ['mfa_totp.enabled', 'mfa_sms.enabled', 'mfa_policy.updated'][i % 3],
            target_type: ['mfa_totp', 'mfa_sms'][i % 2],
            operator_id: ['usr_admin', 'usr_root'][i % 2],
            timestamp: MIDNIGHT + (Math.floor(i / 12) - 2) * DAY_MS + cycle([-1, 0, 1, 7_200_000], i),
          }),
        );
      }
      logs.push(
        mfaLog({ id: 'mfa_1969', timestamp: -DAY_MS - 5 }),
        mfaLog({ id: 'mfa_epoch', timestamp: 0 }),
      );
      await store.mfaConfigAuditLogs.insertMany(logs);
      await store.mfaConfigAuditLogs.insertMany(logs.slice(0, 5));

      await assertMfaTotals(store);
    });

    test('tallies are backfilled from the rows stored before them and follow purges', async () => {
      await fixture.dispose();
      fixture = await open({ beforeTallies: true });
      store = fixture.store;
      // Rows written before the tallies existed: raw, as the store's own insert now counts them.
      const communication = Array.from({ length: 30 }, (_, i) =>
        communicationLog({
          tenant_id: cycle(['tnt_a', 'tnt_b'], i),
          id: `log_${i}`,
          user_id: cycle(['usr_alice', 'usr_bob'], i),
          channel: cycle(['sms', 'email', 'push'] as const, i),
          status: cycle(['pending', 'sent', 'failed'] as const, i >> 1),
        }),
      );
      const mfa = Array.from({ length: 30 }, (_, i) =>
        mfaLog({
          tenant_id: cycle(['tnt_a', 'tnt_b'], i),
          id: `mfa_${i}`,
          action: cycle(['mfa_totp.enabled', 'mfa_sms.enabled'], i >> 1),
          timestamp: MIDNIGHT + (i - 15) * 7_200_000,
        }),
      );
      await fixture.execute(insertStatement('communication_logs', communication));
      await fixture.execute(insertStatement('mfa_config_audit_logs', mfa));
      await store.migrate();
      await assertCommunicationTotals(store);
      await assertMfaTotals(store);

      // Retention's purge deletes rows by the batch, the way sealog deletes them.
      for (const tenant of ['tnt_a', 'tnt_b']) {
        while ((await store.purge.purgeBatch(MFA_CONFIG_AUDIT_LOG_TABLE, tenant, MIDNIGHT, 4, MIDNIGHT)) > 0);
      }
      assert.equal((await store.mfaConfigAuditLogs.list({}, EVERYTHING)).total, 15);
      await assertCommunicationTotals(store);
      await assertMfaTotals(store);
    });
  });
}
