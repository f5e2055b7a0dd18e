import assert from 'node:assert/strict';
import { knownMigrations } from '../../src/storage/postgres/migrations.js';
import { describe, test } from 'node:test';
import pg from 'pg';
import { isDeepStrictEqual } from 'node:util';
import { applyMigrations } from '../../src/storage/postgres/migrations.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { talliedCtes } from '../../src/storage/postgres/tally-writes.js';
import { COMMUNICATION_LOG_TABLE } from '../../src/kinds/communication-log/communication-log-table.js';
import { createTestSchema, TEST_DATABASE_URL, TEST_ON_CITUS } from '../helpers/postgres-schema.js';
import { waitFor } from '../helpers/wait-for.js';
import { describeConsoleSessionsContract } from './console-sessions-contract.js';
import { describeRetentionOverridesContract } from './retention-overrides-contract.js';
import { describeHistogramContract } from './histogram-contract.js';
import { describeListTotalsContract, type ListTotalsFixture } from './list-totals-contract.js';
import { communicationLog, describeStoreContract, mfaLog } from './store-contract.js';

const settings = (url: string) => ({
  url,
  poolSize: 4,
  statementTimeoutMs: 10_000,
  unavailableTimeoutMs: 5_000,
});

if (TEST_DATABASE_URL === undefined) {
  test('PostgreSQL store contract', { skip: 'TEST_DATABASE_URL is not set' }, () => undefined);
} else {
  /** The schema version before the list tallies (migration 2). */
  const BEFORE_TALLIES = 1;
  /** The schema version before the volume tables (migration 11). */
  const BEFORE_VOLUME = 10;
  const openPostgresFixture = async (
    options: { beforeTallies?: boolean; beforeVolume?: boolean } = {},
  ): Promise<ListTotalsFixture> => {
    const before =
      options.beforeTallies === true ? BEFORE_TALLIES : options.beforeVolume === true ? BEFORE_VOLUME : 0;
    const schema = await createTestSchema();
    const execute = async (sql: string) => {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    if (before > 0) {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        await applyMigrations(client, before);
      } finally {
        await client.end();
      }
    }
    const store = new PostgresStore(settings(schema.url));
    if (before === 0) await store.migrate();
    return {
      store,
      // The trigram index is maintained inside each insert: nothing to wait for.
      settle: () => Promise.resolve(),
      execute,
      async dispose() {
        await store.close();
        await schema.drop();
      },
    };
  };
  describeStoreContract('PostgreSQL', openPostgresFixture);
  describeRetentionOverridesContract('PostgreSQL', openPostgresFixture);
  describeConsoleSessionsContract('PostgreSQL', openPostgresFixture);
  describeListTotalsContract('PostgreSQL', openPostgresFixture);
  describeHistogramContract('PostgreSQL', openPostgresFixture);

  describe('PostgreSQL store: closing', () => {
    test('a store closed while its probe connects leaves no connection that keeps the process alive', async () => {
      const schema = await createTestSchema();
      const sockets = () =>
        process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
      try {
        const before = sockets();
        const store = new PostgresStore(settings(schema.url));
        // The readiness probe opens the monitor's own connection; close() comes while it connects.
        const probing = store.ping().catch(() => undefined);
        await store.close();
        await probing;
        assert.equal(sockets(), before);
      } finally {
        await schema.drop();
      }
    });
  });

  describe('PostgreSQL store: schema management', () => {
    const JAN_2026 = Date.UTC(2026, 0, 15);
    const FEB_2026 = Date.UTC(2026, 1, 10);
    const log = (id: string, createdAt: number) =>
      communicationLog({ id, created_at: createdAt, updated_at: createdAt });
    /** The partition each of the tenant's communication logs is stored in, by id. */
    const partitionsOf = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string; partition: string }>(
          'SELECT id, tableoid::regclass::text AS partition FROM communication_logs ORDER BY id',
        );
        // On Citus the row comes from a shard of the partition, named after it with a shard id.
        const partitionOf = (shard: string) => (TEST_ON_CITUS ? shard.replace(/_\d+$/, '') : shard);
        return Object.fromEntries(
          rows.map((row) => [row.id, partitionOf(row.partition.split('.').at(-1) ?? '')]),
        );
      } finally {
        await client.end();
      }
    };

    /** Waits for the partition keeper's background job to have made `partition`. */
    const partitionMade = (url: string, partition: string) =>
      waitFor(`${partition} made`, async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (
            (await client.query<{ made: string | null }>('SELECT to_regclass($1) AS made', [partition]))
              .rows[0]?.made != null
          );
        } finally {
          await client.end();
        }
      });

    test('rows land in the partition of their month; rows over two years old in the default one', async () => {
      const schema = await createTestSchema();
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1));
      try {
        await store.migrate();
        await store.communicationLogs.insertMany([log('jan', JAN_2026), log('old', Date.UTC(2019, 2, 1))]);
        // January's partition is made in the background, taking its row out of the default one.
        await waitFor('January in its partition', async () =>
          isDeepStrictEqual(await partitionsOf(schema.url), {
            jan: 'communication_logs_p202601',
            old: 'communication_logs_default',
          }),
        );
        assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 2);
      } finally {
        await store.close();
        await schema.drop();
      }
    });

    test('a partition that cannot be made is reported by name and SQLSTATE; its rows stay readable', async () => {
      const schema = await createTestSchema();
      const failures: Error[] = [];
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1), {
        onBackgroundFailure: (component, error) => {
          if (component === 'partitions') failures.push(error);
        },
      });
      const client = new pg.Client({ connectionString: schema.url });
      try {
        await store.migrate();
        await client.connect();
        // As a DDL failure would: the function the job calls is gone (42883).
        await client.query(
          'ALTER FUNCTION sealog_add_partition(text, text, text, bigint, bigint) RENAME TO gone',
        );
        await store.communicationLogs.insertMany([log('jan', JAN_2026)]);
        await waitFor('the failure reported', () => failures.length > 0);
        assert.match(
          failures[0]?.message ?? '',
          /^creating partition communication_logs_p202601 failed \(42883\): .*rows of its month wait in the default partition/,
        );
        assert.deepEqual(await partitionsOf(schema.url), { jan: 'communication_logs_default' });
        const page = await store.communicationLogs.list({}, { limit: 10, offset: 0 });
        assert.deepEqual([page.total, page.rows.map((row) => row.id)], [1, ['jan']]);
      } finally {
        await client.end();
        await store.close();
        await schema.drop();
      }
    });

    test('a batch never waits on partition DDL: its rows wait in the default partition instead', async () => {
      const schema = await createTestSchema();
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1));
      const blocker = new pg.Client({ connectionString: schema.url });
      try {
        await store.migrate();
        await blocker.connect();
        // Partition DDL holds this lock (sealog_add_partition): taken here, no partition can be made.
        await blocker.query('BEGIN');
        await blocker.query(
          "SELECT pg_advisory_xact_lock(hashtext('sealog partitions ' || current_schema()))",
        );
        const stored = await store.communicationLogs.insertMany([log('jan', JAN_2026)]);
        assert.deepEqual(stored.duplicates, []);
        assert.deepEqual(await partitionsOf(schema.url), { jan: 'communication_logs_default' });
        assert.equal((await store.communicationLogs.list({}, { limit: 10, offset: 0 })).total, 1);
        await blocker.query('COMMIT');
        await waitFor('January in its partition', async () =>
          isDeepStrictEqual(await partitionsOf(schema.url), { jan: 'communication_logs_p202601' }),
        );
      } finally {
        await blocker.end();
        await store.close();
        await schema.drop();
      }
    });

    test('a partition made for rows waiting in the default partition takes them along', async () => {
      const schema = await createTestSchema();
      // An instance whose clock says 2030 keeps January 2026 in the default partition…
      const late = new PostgresStore(settings(schema.url), () => Date.UTC(2030, 0, 1));
      // …and one in 2026 then makes January's partition.
      const timely = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 1, 1));
      try {
        await late.migrate();
        await late.communicationLogs.insertMany([log('waiting', JAN_2026)]);
        assert.deepEqual(await partitionsOf(schema.url), { waiting: 'communication_logs_default' });
        await timely.migrate(); // February and the three months after it
        const again = await timely.communicationLogs.insertMany([
          log('waiting', JAN_2026),
          log('next', JAN_2026 + 1),
        ]);
        assert.deepEqual(again.duplicates, ['waiting'], 'the moved row still counts as stored');
        await waitFor('January in its partition', async () =>
          isDeepStrictEqual(await partitionsOf(schema.url), {
            next: 'communication_logs_p202601',
            waiting: 'communication_logs_p202601',
          }),
        );
        const once = await timely.communicationLogs.insertMany([log('waiting', JAN_2026)]);
        assert.deepEqual(once.duplicates, ['waiting'], 'still stored once after the move');
        const page = await timely.communicationLogs.list({}, { limit: 10, offset: 0 });
        assert.equal(page.total, 2, 'moving rows between partitions leaves the tallies alone');
      } finally {
        await Promise.all([late.close(), timely.close()]);
        await schema.drop();
      }
    });

    test('sealog_drop_partition drops a month with its ids, transitions and tallies', async () => {
      const schema = await createTestSchema();
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1));
      const client = new pg.Client({ connectionString: schema.url });
      try {
        await store.migrate();
        await client.connect();
        await store.communicationLogs.insertMany([log('jan', JAN_2026), log('feb', FEB_2026)]);
        await store.mfaConfigAuditLogs.insertMany([
          mfaLog({ id: 'jan', timestamp: JAN_2026 }),
          mfaLog({ id: 'feb', timestamp: FEB_2026 }),
        ]);
        await store.communicationLogs.applyTransition({
          tenant_id: 'tnt_a',
          log_id: 'jan',
          from_status: 'pending',
          to_status: 'sent',
          error: null,
          response: null,
          sent_at: null,
          changed_at: JAN_2026 + 1,
        });
        await partitionMade(schema.url, 'communication_logs_p202601');
        await partitionMade(schema.url, 'mfa_config_audit_logs_p202601');
        const drop = async (partition: string) =>
          (await client.query<{ n: string }>('SELECT sealog_drop_partition($1) AS n', [partition])).rows[0]
            ?.n;
        assert.equal(await drop('communication_logs_p202601'), '1');
        assert.equal(await drop('mfa_config_audit_logs_p202601'), '1');
        await assert.rejects(drop('communication_logs_default'), /default partition/);
        await assert.rejects(drop('tuya_nonces'), /not a partition of a sealog log table/);

        const communication = await store.communicationLogs.list({}, { limit: 10, offset: 0 });
        assert.deepEqual([communication.total, communication.rows.map((row) => row.id)], [1, ['feb']]);
        const sent = await store.communicationLogs.list({ status: 'sent' }, { limit: 10, offset: 0 });
        assert.equal(sent.total, 0, 'the dropped row left the tally of its status after the transition');
        const mfa = await store.mfaConfigAuditLogs.list({}, { limit: 10, offset: 0 });
        assert.deepEqual([mfa.total, mfa.rows.map((row) => row.id)], [1, ['feb']]);
        const transitions = await client.query('SELECT 1 FROM communication_log_transitions');
        assert.equal(transitions.rowCount, 0);
        const again = await store.communicationLogs.insertMany([log('jan', JAN_2026)]);
        assert.deepEqual(again.duplicates, [], 'a dropped id is free again');
      } finally {
        await client.end();
        await store.close();
        await schema.drop();
      }
    });

    test('sealog_drop_partition refuses a log table of a schema outside the search path', async () => {
      const schema = await createTestSchema();
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1));
      // TEST_DATABASE_URL itself: the test schema is not on this connection's search path.
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      try {
        await store.migrate();
        await client.connect();
        await store.communicationLogs.insertMany([log('jan', JAN_2026)]);
        await partitionMade(schema.url, 'communication_logs_p202601');
        await assert.rejects(
          client.query(`SELECT ${schema.schema}.sealog_drop_partition($1)`, [
            `${schema.schema}.communication_logs_p202601`,
          ]),
          /is not a partition of a sealog log table/,
        );
        const { total } = await store.communicationLogs.list({ tenantId: 'tnt_a' }, { limit: 10, offset: 0 });
        assert.equal(total, 1, 'nothing dropped, tallies untouched');
      } finally {
        await client.end();
        await store.close();
        await schema.drop();
      }
    });

    test('sealog_drop_partition waits for a write in flight instead of deadlocking with it', async () => {
      const schema = await createTestSchema();
      const store = new PostgresStore(settings(schema.url), () => Date.UTC(2026, 5, 1));
      const writer = new pg.Client({ connectionString: schema.url });
      const dropper = new pg.Client({ connectionString: schema.url });
      try {
        await store.migrate();
        await store.communicationLogs.insertMany([log('jan', JAN_2026), log('feb', FEB_2026)]);
        await partitionMade(schema.url, 'communication_logs_p202601');
        await partitionMade(schema.url, 'communication_logs_p202602');
        await Promise.all([writer.connect(), dropper.connect()]);
        const [{ pid } = { pid: 0 }] = (
          await dropper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
        ).rows;
        // A write in flight, as an INSERT into February holds it: the table (not January's
        // partition) now, the tally row of (tnt_a, sms, pending) once its statement ends.
        await writer.query('BEGIN');
        await writer.query('LOCK TABLE ONLY communication_logs IN ROW EXCLUSIVE MODE');
        const dropping = dropper.query<{ n: string }>(
          "SELECT sealog_drop_partition('communication_logs_p202601') AS n",
        );
        await waitFor(
          'the drop to wait for the lock of the write in flight',
          async () =>
            (
              await writer.query(
                "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
                [pid],
              )
            ).rowCount === 1,
        );
        // Counted in its tallies by the same statement, as the store's own inserts are.
        await writer.query(
          `WITH stored AS (
             INSERT INTO communication_logs (tenant_id, id, user_id, channel, status, recipient, content,
               provider, template_id, created_at, updated_at)
             VALUES ('tnt_a', 'feb2', 'usr_alice', 'sms', 'pending', '13800138000', 'x', 'aliyun', 'tpl_1', $1, $1)
             RETURNING *), ${talliedCtes(COMMUNICATION_LOG_TABLE, 'stored', '1').join(', ')}
           SELECT 1`,
          [FEB_2026 + 1],
        );
        await writer.query('COMMIT');
        assert.equal((await dropping).rows[0]?.n, '1');
        const page = await store.communicationLogs.list({}, { limit: 10, offset: 0 });
        assert.deepEqual([page.total, page.rows.map((row) => row.id)], [2, ['feb2', 'feb']]);
      } finally {
        await Promise.all([writer.end(), dropper.end()]);
        await store.close();
        await schema.drop();
      }
    });

    test('instances starting at once apply each migration exactly once', async () => {
      const schema = await createTestSchema();
      const stores = Array.from({ length: 4 }, () => new PostgresStore(settings(schema.url)));
      try {
        const applied = await Promise.all(stores.map((store) => store.migrate()));
        assert.deepEqual(
          applied.map((versions) => versions.map(({ version }) => version).join(',')).sort(),
          [
            '',
            '',
            '',
            knownMigrations()
              .map(({ version }) => version)
              .join(','),
          ],
          'one instance applies every version, the others find them applied',
        );
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await schema.drop();
      }
    });
  });
}
