import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditStore, HistogramBuckets } from '../../src/domain/audit-store.js';
import { contains, where, type Condition } from '../../src/domain/conditions.js';
import {
  COMMUNICATION_LOG_TABLE,
  type CommunicationLog,
  type StatusTransition,
} from '../../src/kinds/communication-log/communication-log-table.js';
import { HOUR_MS, type LogRow, type LogTable } from '../../src/kinds/log-table.js';
import {
  MFA_CONFIG_AUDIT_LOG_TABLE,
  type MfaConfigAuditLog,
} from '../../src/kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE, type OperateLog } from '../../src/kinds/operate-log/operate-log-table.js';
import type { ListTotalsFixture } from './list-totals-contract.js';
import { communicationLog, mfaLog, operateLog } from './store-contract.js';

const DAY_MS = 24 * HOUR_MS;
/** 2026-03-30 00:00 UTC: the rows span the end of March and the start of April (two partitions). */
const START = Date.UTC(2026, 2, 30);
const ALL = 10_000;

/** The `i`-th of `values`, round and round. */
const cycle = <T>(values: readonly T[], i: number): T => values[i % values.length] as T;

/**
 * Opens a migrated store; with `beforeVolume`, one migrated only up to the version before the
 * volume tables, so that its `migrate()` has rows to backfill from.
 */
export type OpenHistogramFixture = (options?: { beforeVolume?: boolean }) => Promise<ListTotalsFixture>;

/** Every row of `table` as the store holds it, by a walk of its pages. */
async function everyRow<Row extends LogRow>(store: AuditStore, table: LogTable<Row>): Promise<Row[]> {
  return store.rows(table).page([], undefined, ALL);
}

/** The expected counts: `rows` passing `keep`, by bucket, counted here one by one. */
function countRows<Row>(
  rows: readonly Row[],
  time: (row: Row) => number,
  keep: (row: Row) => boolean,
  buckets: HistogramBuckets,
): number[] {
  const counts = new Array<number>((buckets.untilMs - buckets.fromMs) / buckets.widthMs).fill(0);
  for (const row of rows) {
    const at = time(row);
    if (!keep(row) || at < buckets.fromMs || at >= buckets.untilMs) continue;
    const bucket = Math.floor((at - buckets.fromMs) / buckets.widthMs);
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return counts;
}

/** Buckets of whole hours and days (the volume's), of 90 minutes and unaligned (rows counted). */
const BUCKETINGS: HistogramBuckets[] = [
  { fromMs: START - DAY_MS, untilMs: START + 4 * DAY_MS, widthMs: HOUR_MS },
  { fromMs: START - 2 * DAY_MS, untilMs: START + 5 * DAY_MS, widthMs: DAY_MS },
  { fromMs: START + 3 * HOUR_MS, untilMs: START + 9 * HOUR_MS, widthMs: HOUR_MS },
  { fromMs: START, untilMs: START + 3 * DAY_MS, widthMs: 90 * 60_000 },
  { fromMs: START + 1, untilMs: START + 1 + 2 * DAY_MS, widthMs: DAY_MS },
];

/** The communication-log filters checked: every combination the console offers, some rows-only. */
const COMMUNICATION_FILTERS: Partial<
  Pick<CommunicationLog, 'tenant_id' | 'user_id' | 'channel' | 'status'>
>[] = [
  {},
  { tenant_id: 'tnt_a' },
  { tenant_id: 'tnt_b' },
  { tenant_id: 'tnt_a', channel: 'sms' },
  { tenant_id: 'tnt_a', status: 'sent' },
  { tenant_id: 'tnt_a', status: 'pending' },
  { tenant_id: 'tnt_a', channel: 'email', status: 'delivered' },
  { tenant_id: 'tnt_a', user_id: 'usr_alice' },
  { tenant_id: 'tnt_a', user_id: 'usr_bob', status: 'sent' },
  { status: 'failed' },
  { tenant_id: 'tnt_none' },
];

/** Asserts every communication-log histogram of COMMUNICATION_FILTERS × BUCKETINGS against the rows. */
async function assertCommunicationHistograms(store: AuditStore): Promise<void> {
  const rows = await everyRow(store, COMMUNICATION_LOG_TABLE);
  for (const filter of COMMUNICATION_FILTERS) {
    const conditions: Condition[] = Object.entries(filter).map(([column, value]) =>
      where(column, '=', value),
    );
    for (const buckets of BUCKETINGS) {
      const keep = (row: CommunicationLog) =>
        Object.entries(filter).every(([column, value]) => row[column as keyof CommunicationLog] === value);
      assert.deepEqual(
        await store.rows(COMMUNICATION_LOG_TABLE).histogram(conditions, buckets),
        countRows(rows, (row) => row.created_at, keep, buckets),
        `${JSON.stringify(filter)} in ${JSON.stringify(buckets)}`,
      );
    }
  }
}

/** Communication logs over five days around START: tenants, users, channels and statuses mixed. */
function communicationLogs(count: number): CommunicationLog[] {
  return Array.from({ length: count }, (_, i) =>
    communicationLog({
      tenant_id: i % 5 === 0 ? 'tnt_b' : 'tnt_a',
      id: `log_${i}`,
      user_id: cycle(['usr_alice', 'usr_bob', 'usr_carol'], i),
      channel: cycle(['sms', 'email', 'push'] as const, i >> 1),
      status: cycle(['pending', 'pending', 'delivered', 'failed'] as const, i),
      // Spread over 5 days, several rows an hour, some right on an hour's or a day's first ms.
      created_at: START - DAY_MS + Math.floor((i * 5 * DAY_MS) / count) + cycle([0, 0, 1, 59_999], i),
    }),
  );
}

/** A transition of `log` from its status to `to`. */
function move(log: CommunicationLog, to: StatusTransition['to_status']): StatusTransition {
  return {
    tenant_id: log.tenant_id,
    log_id: log.id,
    from_status: log.status,
    to_status: to,
    error: null,
    response: null,
    sent_at: null,
    changed_at: log.created_at + 60_000,
  };
}

/**
 * A histogram's counts (LogRows.histogram) are exactly the rows the same filter matches, bucket by
 * bucket, whether the volume table answers (equalities on the tenant and the volume's dimensions,
 * whole hours) or the rows are counted; across status transitions, purges and erasure.
 */
export function describeHistogramContract(name: string, open: OpenHistogramFixture): void {
  describe(`AuditStore histograms: ${name}`, () => {
    let fixture: ListTotalsFixture;
    let store: AuditStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(() => fixture.dispose());

    test('communication-log counts follow inserts, duplicates, failed batches and status transitions', async () => {
      const logs = communicationLogs(240);
      await store.communicationLogs.insertMany(logs.slice(0, 150));
      await store.communicationLogs.insertMany(logs.slice(100));
      await assert.rejects(
        store.communicationLogs.insertMany([
          communicationLog({ id: 'lost', created_at: START }),
          communicationLog({ id: 'bad', user_id: null as unknown as string }),
        ]),
      );
      await assertCommunicationHistograms(store);
      // Delivery receipts move rows between statuses: the volume's counts move with them.
      for (const log of logs.filter((_, i) => i % 4 < 2)) {
        const to = log.id.endsWith('3') ? 'failed' : 'sent';
        assert.equal(await store.communicationLogs.applyTransition(move(log, to)), true);
      }
      for (const log of logs.filter((log, i) => i % 4 < 2 && !log.id.endsWith('3')).slice(0, 40)) {
        assert.equal(
          await store.communicationLogs.applyTransition(move({ ...log, status: 'sent' }, 'delivered')),
          true,
        );
      }
      await assertCommunicationHistograms(store);
    });

    test('purges take rows out of the counts, row by row and by whole partition', async () => {
      const logs = communicationLogs(240);
      await store.communicationLogs.insertMany(logs);
      for (const log of logs.filter((_, i) => i % 3 === 0)) {
        await store.communicationLogs.applyTransition(move(log, 'sent'));
      }
      const hooks = { batchRows: 7, between: () => Promise.resolve(true), onRemoved: () => undefined };
      // March as a whole (a partition on PostgreSQL; nothing on SQLite), then a day of April by rows.
      await store.purge.purgeExpiredPartitions(
        COMMUNICATION_LOG_TABLE,
        ['tnt_a', 'tnt_b'],
        Date.UTC(2026, 3, 1),
        START,
        hooks,
      );
      for (const tenant of ['tnt_a', 'tnt_b']) {
        while (
          (await store.purge.purgeBatch(
            COMMUNICATION_LOG_TABLE,
            tenant,
            Date.UTC(2026, 3, 1, 13),
            11,
            START,
          )) > 0
        );
      }
      const left = await everyRow(store, COMMUNICATION_LOG_TABLE);
      assert.ok(left.length > 0 && left.length < 150, `${left.length} rows left`);
      assert.ok(left.every((row) => row.created_at >= Date.UTC(2026, 3, 1, 13)));
      await assertCommunicationHistograms(store);
    });

    test('erasure keeps every record counted', async () => {
      await store.communicationLogs.insertMany(communicationLogs(60));
      const before = await store
        .rows(COMMUNICATION_LOG_TABLE)
        .histogram([where('user_id', '=', 'usr_alice')], BUCKETINGS[1] as HistogramBuckets);
      const outcome = await store.eraseSubject({
        tenantId: 'tnt_a',
        subject: 'usr_alice',
        erasedBy: 'usr_root',
        at: START,
      });
      assert.ok((outcome.records['communication-log'] ?? 0) > 0);
      assert.deepEqual(
        await store
          .rows(COMMUNICATION_LOG_TABLE)
          .histogram([where('user_id', '=', 'usr_alice')], BUCKETINGS[1] as HistogramBuckets),
        before,
      );
      await assertCommunicationHistograms(store);
    });

    test('MFA and operate-log counts, with rows-only filters and key_words', async () => {
      const mfa: MfaConfigAuditLog[] = Array.from({ length: 90 }, (_, i) =>
        mfaLog({
          tenant_id: cycle(['tnt_a', 'tnt_a', 'tnt_b'], i),
          id: `mfa_${i}`,
          action: cycle(['mfa_totp.enabled', 'mfa_sms.enabled', 'mfa_policy.updated'], i >> 1),
          target_type: cycle(['mfa_totp', 'mfa_sms'], i),
          operator_id: cycle(['usr_admin', 'usr_root'], i >> 2),
          timestamp: START + Math.floor((i * 3 * DAY_MS) / 90),
        }),
      );
      await store.mfaConfigAuditLogs.insertMany(mfa);
      const operate: OperateLog[] = Array.from({ length: 90 }, (_, i) =>
        operateLog({
          tenant_id: cycle(['tnt_a', 'tnt_b'], i >> 1),
          id: `op_${i}`,
          operate_type: cycle(['login', 'device_control'], i),
          merchant_code: cycle(['tuya', 'acme', 'globex'], i),
          operate_content: cycle(['Opened the Front Door', '打开了智能锁', 'device offline'], i),
          record_time: START + Math.floor((i * 3 * DAY_MS) / 90),
        }),
      );
      await store.operateLogs.insertMany(operate);
      await fixture.settle();
      const mfaRows = await everyRow(store, MFA_CONFIG_AUDIT_LOG_TABLE);
      const operateRows = await everyRow(store, OPERATE_LOG_TABLE);
      for (const buckets of BUCKETINGS) {
        const mfaFilters: Record<string, string>[] = [
          { tenant_id: 'tnt_a' },
          { tenant_id: 'tnt_a', action: 'mfa_sms.enabled' },
          { tenant_id: 'tnt_a', target_type: 'mfa_totp', action: 'mfa_totp.enabled' },
          { tenant_id: 'tnt_a', operator_id: 'usr_root' },
          { tenant_id: 'tnt_b', operator_id: 'usr_admin', action: 'mfa_policy.updated' },
        ];
        for (const filter of mfaFilters) {
          const keep = (row: MfaConfigAuditLog) =>
            Object.entries(filter).every(
              ([column, value]) => row[column as keyof MfaConfigAuditLog] === value,
            );
          assert.deepEqual(
            await store.rows(MFA_CONFIG_AUDIT_LOG_TABLE).histogram(
              Object.entries(filter).map(([column, value]) => where(column, '=', value)),
              buckets,
            ),
            countRows(mfaRows, (row) => row.timestamp, keep, buckets),
            `MFA ${JSON.stringify(filter)} in ${JSON.stringify(buckets)}`,
          );
        }
        for (const [filter, term] of [
          [{ tenant_id: 'tnt_a', merchant_code: 'acme' }, undefined],
          [{ tenant_id: 'tnt_b', operate_type: 'login', merchant_code: 'tuya' }, undefined],
          [{ tenant_id: 'tnt_a' }, 'front door'],
          [{ tenant_id: 'tnt_a', operate_type: 'login' }, '智能'],
          [{ tenant_id: 'tnt_b' }, 'DEVICE'],
        ] as const) {
          const keep = (row: OperateLog) =>
            Object.entries(filter).every(([column, value]) => row[column as keyof OperateLog] === value) &&
            (term === undefined || row.operate_content.toLowerCase().includes(term.toLowerCase()));
          assert.deepEqual(
            await store
              .rows(OPERATE_LOG_TABLE)
              .histogram(
                [
                  ...Object.entries(filter).map(([column, value]) => where(column, '=', value)),
                  contains('search_text', term),
                ],
                buckets,
              ),
            countRows(operateRows, (row) => row.record_time, keep, buckets),
            `operate ${JSON.stringify(filter)} ${term ?? ''} in ${JSON.stringify(buckets)}`,
          );
        }
      }
    });

    test('the volume is filled from the rows stored before it', async () => {
      await fixture.dispose();
      fixture = await open({ beforeVolume: true });
      store = fixture.store;
      const logs = communicationLogs(120).map((log) => ({ ...log, sealed: null }));
      const columns = Object.keys(logs[0] ?? {});
      const literal = (value: string | number | null) =>
        value === null
          ? 'NULL'
          : typeof value === 'number'
            ? String(value)
            : `'${value.replaceAll("'", "''")}'`;
      await fixture.execute(
        `INSERT INTO communication_logs (${columns.map((column) => `"${column}"`).join(', ')}) VALUES ${logs
          .map((log) => `(${Object.values<string | number | null>(log).map(literal).join(', ')})`)
          .join(', ')}`,
      );
      await store.migrate();
      await assertCommunicationHistograms(store);
    });
  });
}
