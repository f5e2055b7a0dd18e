/**
 * On a Citus coordinator only (`npm run test:citus`, TEST_CITUS_URL): the schema is laid out as
 * citusLayout() says, and each single-tenant request runs on one shard. Every other PostgreSQL
 * test also runs there in that mode, on schemas the store's own migration distributed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { citusLayout } from '../../src/storage/postgres/citus/citus-layout.js';
import { applyMigrations } from '../../src/storage/postgres/migrations.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { runCli } from '../helpers/cli-process.js';
import {
  createTestSchema,
  TEST_DATABASE_URL,
  TEST_ON_CITUS,
  type TestSchema,
} from '../helpers/postgres-schema.js';
import { communicationLog, mfaLog, operateLog } from '../storage/store-contract.js';

/** A statement a store sent, with its parameters. */
interface Sent {
  text: string;
  values: unknown[];
}

/** Records what every pg client of this process sends while `work` runs. */
async function statementsOf(work: () => Promise<unknown>): Promise<Sent[]> {
  const sent: Sent[] = [];
  const prototype = pg.Client.prototype as unknown as Record<'query', (...args: unknown[]) => unknown>;
  const original = prototype.query;
  // A spy on the real driver: the statements still go to the database.
  prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
    const [first, second] = args;
    const config = (typeof first === 'string' ? { text: first, values: second } : first) as {
      text?: unknown;
      values?: unknown;
    } | null;
    if (typeof config?.text === 'string') {
      sent.push({ text: config.text, values: Array.isArray(config.values) ? config.values : [] });
    }
    return Reflect.apply(original, this, args);
  };
  try {
    await work();
  } finally {
    prototype.query = original;
  }
  return sent;
}

/**
 * `statement` with its parameters written in as literals: Citus plans a bound parameter's shard
 * only when it executes, so EXPLAIN of the bare text could not show the routing.
 */
function inlined(client: pg.Client, statement: Sent): string {
  const literal = (value: unknown): string => {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    if (Buffer.isBuffer(value)) return `'\\x${value.toString('hex')}'`;
    if (Array.isArray(value)) {
      const elements = (value as (string | number | null)[]).map((element) =>
        element === null ? 'NULL' : `"${String(element).replace(/["\\]/g, '\\$&')}"`,
      );
      return client.escapeLiteral(`{${elements.join(',')}}`);
    }
    return client.escapeLiteral(typeof value === 'string' ? value : JSON.stringify(value));
  };
  return statement.text.replace(/\$(\d+)/g, (_, n: string) => literal(statement.values[Number(n) - 1]));
}

describe(
  'on Citus: the layout, and single-tenant requests on one shard',
  { skip: !TEST_ON_CITUS && 'TEST_CITUS_URL is not set: nothing ran on Citus (npm run test:citus)' },
  () => {
    let schema: TestSchema;
    let store: PostgresStore;
    let client: pg.Client;
    const NOW = Date.now();

    before(async () => {
      schema = await createTestSchema();
      store = new PostgresStore(
        { url: schema.url, poolSize: 4, statementTimeoutMs: 60_000, unavailableTimeoutMs: 30_000 },
        Date.now,
        { sequencing: false },
      );
      await store.migrate();
      client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      for (const tenant of ['tnt_a', 'tnt_b', 'tnt_c']) {
        await store.communicationLogs.insertMany(
          Array.from({ length: 5 }, (_, i) =>
            communicationLog({ tenant_id: tenant, id: `log_${i}`, created_at: NOW - i }),
          ),
        );
        await store.mfaConfigAuditLogs.insertMany([
          mfaLog({ tenant_id: tenant, id: 'mfa_1', timestamp: NOW }),
        ]);
        await store.operateLogs.insertMany(
          Array.from({ length: 5 }, (_, i) =>
            operateLog({
              tenant_id: tenant,
              id: `op_${i}`,
              record_time: NOW - i,
              operate_content: `door ${i} opened`,
            }),
          ),
        );
      }
    });
    after(async () => {
      await client.end();
      await store.close();
      await schema.drop();
    });

    test('every table is where the layout puts it, one co-location group for the distributed', async () => {
      const layout = citusLayout();
      const { rows } = await client.query<{ name: string; method: string; colocation: number }>(
        `SELECT t.name, p.partmethod AS method, p.colocationid AS colocation
           FROM unnest($1::text[]) AS t(name) LEFT JOIN pg_dist_partition p ON p.logicalrelid = to_regclass(t.name)`,
        [[...layout.distributed, ...layout.reference]],
      );
      const byName = new Map(rows.map((row) => [row.name, row]));
      for (const table of layout.distributed) assert.equal(byName.get(table)?.method, 'h', table);
      for (const table of layout.reference) assert.equal(byName.get(table)?.method, 'n', table);
      assert.equal(new Set(layout.distributed.map((table) => byName.get(table)?.colocation)).size, 1);
      const { rows: columns } = await client.query<{ name: string; column: string }>(
        `SELECT t.name, column_to_column_name(p.logicalrelid, p.partkey) AS column
           FROM unnest($1::text[]) AS t(name) JOIN pg_dist_partition p ON p.logicalrelid = to_regclass(t.name)`,
        [layout.distributed],
      );
      assert.deepEqual(new Set(columns.map((row) => row.column)), new Set(['tenant_id']));
    });

    test('each single-tenant request runs as one task on one shard', async (t) => {
      const requests: Record<string, () => Promise<unknown>> = {
        'communication list and total': () =>
          store.communicationLogs.list({ tenantId: 'tnt_a', status: 'pending' }, { limit: 2, offset: 1 }),
        'MFA list and total': () =>
          store.mfaConfigAuditLogs.list({ tenantId: 'tnt_b' }, { limit: 10, offset: 0 }),
        'operate page': () => store.operateLogs.page({ tenantId: 'tnt_c' }, undefined, 2),
        'operate page after a cursor': () =>
          store.operateLogs.page({ tenantId: 'tnt_c' }, { recordTime: NOW - 1, id: 'op_1' }, 2),
        'operate page with key_words': () =>
          store.operateLogs.page({ tenantId: 'tnt_a', keyWords: 'door 3' }, undefined, 2),
        'delivery status PATCH': () =>
          store.communicationLogs.applyTransition({
            tenant_id: 'tnt_b',
            log_id: 'log_2',
            from_status: 'pending',
            to_status: 'sent',
            error: null,
            response: null,
            sent_at: NOW,
            changed_at: NOW,
          }),
        transitions: () => store.communicationLogs.listTransitions('tnt_b', 'log_2'),
        'log state and tiles (proofs)': async () => {
          const log = { tenantId: 'tnt_a', kind: 'operate-log' };
          await store.integrity.logState(log);
          await store.integrity.readTiles(log, [{ level: 0, index: 0 }]);
          await store.integrity.findLeaf(log, 'op_1', 0);
        },
      };
      const report: string[] = [];
      for (const [name, request] of Object.entries(requests)) {
        const sent = (await statementsOf(request)).filter(
          // The pool's reachability probe (SELECT 1) may run meanwhile.
          (statement) =>
            !/^\s*(BEGIN|COMMIT|ROLLBACK|SET|SELECT pg_advisory|SELECT 1\s*$)/i.test(statement.text),
        );
        assert.ok(sent.length > 0, name);
        for (const statement of sent) {
          const plan = (
            await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${inlined(client, statement)}`)
          ).rows
            .map((row) => row['QUERY PLAN'])
            .join('\n');
          const tasks = [...plan.matchAll(/Task Count: (\d+)/g)].map((match) => Number(match[1]));
          report.push(`${name}: ${tasks.join(', ') || 'no distributed scan'}`);
          assert.ok(tasks.length > 0, `${name} reads no distributed table?\n${statement.text}\n${plan}`);
          assert.ok(
            tasks.every((count) => count === 1),
            `${name} runs on ${tasks.join(' + ')} tasks:\n${statement.text}\n${plan}`,
          );
        }
      }
      t.diagnostic(report.join('; '));
    });

    test('a batch over three tenants is stored by one call per tenant, each run on the worker holding it', async (t) => {
      const rows = ['tnt_a', 'tnt_b', 'tnt_c', 'tnt_a'].map((tenant, i) =>
        operateLog({ tenant_id: tenant, id: `op_batch_${i}`, record_time: NOW - 10 - i }),
      );
      const sent = await statementsOf(() => store.operateLogs.insertMany(rows));
      const calls = sent.filter((statement) => statement.text.includes('sealog_ingest_operate_logs('));
      assert.deepEqual(
        calls.map((call) => call.values[0]),
        ['tnt_a', 'tnt_b', 'tnt_c'],
        'one call per tenant, in tenant order',
      );
      const report: string[] = [];
      for (const call of calls) {
        const tenant = String(call.values[0]);
        const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${inlined(client, call)}`)).rows
          .map((row) => row['QUERY PLAN'])
          .join('\n');
        const { rows: placement } = await client.query<{ port: number }>(
          `SELECT nodeport AS port FROM citus_shards
            WHERE shardid = get_shard_id_for_distribution_column('operate_logs', $1::text)`,
          [tenant],
        );
        const node = /Node: host=\S+ port=(\d+)/.exec(plan)?.[1];
        report.push(`${tenant}: ${/Task Count: \d+/.exec(plan)?.[0] ?? '?'} on port ${node ?? '?'}`);
        assert.match(plan, /Task Count: 1\b/, plan);
        assert.equal(Number(node), placement[0]?.port, `${tenant} runs where its shard is:\n${plan}`);
      }
      t.diagnostic(report.join('; '));
      const { rows: stored } = await client.query<{ tenant_id: string; n: string }>(
        "SELECT tenant_id, count(*) AS n FROM operate_logs WHERE id LIKE 'op_batch_%' GROUP BY 1 ORDER BY 1",
      );
      assert.deepEqual(
        stored.map((row) => [row.tenant_id, Number(row.n)]),
        [
          ['tnt_a', 2],
          ['tnt_b', 1],
          ['tnt_c', 1],
        ],
      );
    });
  },
);

test(
  "sealog migrate --citus distributes a schema already holding rows, saying each table's rows and time",
  { skip: !TEST_ON_CITUS && 'TEST_CITUS_URL is not set: nothing ran on Citus (npm run test:citus)' },
  async () => {
    const schema = await createTestSchema();
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      // The schema of a database that ran on one PostgreSQL server: every table local, with rows.
      await applyMigrations(client);
      await client.query(
        `INSERT INTO operate_logs (tenant_id, id, record_time, uid, username, operate_type, operate_content,
           user_id, role, account, operate_geo_info, operate_ip_info, client_id, merchant_code, ext, project_code)
         SELECT 'tnt_' || (g % 3), 'op_' || g, $1::bigint + g, 'uid', 'name', 'login', 'door opened',
           'usr', 'admin', 'acct', '', '', '', '', '', ''
         FROM generate_series(1, 30) AS g`,
        [Date.UTC(2026, 5, 1)],
      );
      const { code, stdout, stderr } = await runCli(['migrate', '--citus'], { DATABASE_URL: schema.url });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^distributing operate_logs by tenant_id \(30 rows to copy\)…$/m);
      const one = /^distributed operate_logs: 30 rows in (\d+\.\d) s$/m.exec(stdout);
      const all = /^Citus [\d.-]+: \d+ table\(s\) distributed now, 30 rows copied in (\d+\.\d) s;/m.exec(
        stdout,
      );
      assert.ok(one !== null && all !== null, stdout);
      // The only table holding rows: its time is the whole copy's.
      assert.equal(one[1], all[1], stdout);
      const { rows } = await client.query<{ kind: string | null; n: string }>(
        `SELECT (SELECT partmethod::text FROM pg_dist_partition WHERE logicalrelid = 'operate_logs'::regclass) AS kind,
           (SELECT count(*) FROM operate_logs) AS n`,
      );
      assert.deepEqual(rows, [{ kind: 'h', n: '30' }]);
    } finally {
      await client.end();
      await schema.drop();
    }
  },
);

test(
  'sealog migrate --citus on PostgreSQL without Citus: exit 2 with what to do, nothing migrated',
  {
    skip: (TEST_DATABASE_URL === undefined || TEST_ON_CITUS) && 'needs plain PostgreSQL (TEST_DATABASE_URL)',
  },
  async () => {
    const schema = await createTestSchema();
    try {
      const { code, stdout, stderr } = await runCli(['migrate', '--citus'], { DATABASE_URL: schema.url });
      assert.equal(code, 2, stdout);
      assert.match(
        stderr,
        /no citus extension: install Citus and CREATE EXTENSION citus on every node first/,
      );
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ made: string | null }>(
          "SELECT to_regclass('schema_migrations') AS made",
        );
        assert.equal(rows[0]?.made, null);
      } finally {
        await client.end();
      }
    } finally {
      await schema.drop();
    }
  },
);
