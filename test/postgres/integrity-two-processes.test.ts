/**
 * Two `sealog serve` processes (WORKERS=2 each: a primary and two workers apiece, every one of
 * them a candidate for the sequencer lock and a checkpoint signer) on one PostgreSQL schema,
 * with the same JWT secret, DATA_KEY and SIGNING_KEY, as two hosts behind a load balancer would run.
 *
 * Clients ingest communication, MFA and operate logs of three tenants through both at once —
 * batches with ids out of order, some sent to both servers at the same moment, some re-sending ids
 * stored already, some spanning every tenant — and apply delivery receipts through both, racing on
 * the same logs; meanwhile checkpoints are signed through both servers (and every second by each
 * process's timer). Once the writes are answered, checkpoints are signed until each log's covers
 * all of its rows; then, from the rows as stored (the test's own SQL and log-rebuild.ts), each
 * (tenant, kind) must be exactly one log: every record once and every transition once, leaves
 * 0 … n−1 in commit order, its stored root the RFC 6962 root of the recomputed leaves, and every
 * checkpoint either process signed verified by the configured key and consistent with the next
 * (RFC 9162 proofs from either server, checked by the independent verifier); both servers then stop
 * cleanly. Nothing here waits for a clock: it waits for conditions, and no assertion depends on
 * timing. Before any write, a subtest races POSTs on the still empty logs: each answers the one
 * checkpoint of the empty tree.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { killGroup, serveCli, stopCli, type ServingCli } from '../helpers/cli-process.js';
import { checkpointBody } from '../helpers/independent-note.js';
import { generator, INGEST_KINDS, LOG_OF, shuffle } from '../helpers/log-events.js';
import { createTestSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres-schema.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { call, mintTokens, runPool, tokenOf, type Figures, type Job } from './two-process-clients.js';
import { factsOf, rawPostgres, troubleIn, type LogFacts } from './two-process-facts.js';
import { checkAccessLogs, checkLog } from './two-process-log-checks.js';
import {
  logKey,
  TENANTS,
  workload,
  type Batch,
  type Ledger,
  type ReceiptPlan,
  type Side,
  type Status,
} from './two-process-workload.js';

/** The seed of every batch and receipt plan; SEALOG_TWO_PROCESS_SEED=<seed> repeats a run's workload. */
const SEED = process.env.SEALOG_TWO_PROCESS_SEED
  ? Number(process.env.SEALOG_TWO_PROCESS_SEED)
  : randomInt(2 ** 31);
if (!Number.isSafeInteger(SEED)) throw new Error(`SEALOG_TWO_PROCESS_SEED must be an integer, not ${SEED}`);
const reproduce = `(seed ${SEED}: SEALOG_TWO_PROCESS_SEED=${SEED} repeats the workload)`;

/** Requests in flight at once (ingest batches and receipts). */
const CLIENTS = 6;

test(
  'two sealog processes on one PostgreSQL schema build one consistent log per tenant and kind',
  { skip: TEST_DATABASE_URL === undefined && 'TEST_DATABASE_URL is not set' },
  async (t: TestContext) => {
    const started = Date.now();
    const schema: TestSchema = await createTestSchema();
    const servers: ServingCli[] = [];
    try {
      const keyPair = generateKeyPairSync('ed25519');
      const signingKey = keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' });
      /** The configured key's raw public key, as a verifier key carries it (after its 0x01 type byte). */
      const publicKey = keyPair.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
      const env: Record<string, string> = {
        DATABASE_URL: schema.url,
        DATABASE_POOL_SIZE: '4',
        WORKERS: '2',
        JWT_SECRET: TEST_SECRET,
        DATA_KEY: `k1:${randomBytes(32).toString('base64')}`,
        SIGNING_KEY: typeof signingKey === 'string' ? signingKey : signingKey.toString('utf8'),
        // Every process's timer signs too, racing the POSTs: more signers, never an expectation.
        CHECKPOINT_INTERVAL: '1',
        // The records are dated from T0 (2026-01-01), past the default retention of some kinds: a
        // scheduled purge would remove rows while the logs are checked against them (seen on a
        // slow run on Citus, whose first purge waited out its lock timeouts). Retention is tested
        // elsewhere.
        PURGE_INTERVAL: '0',
      };
      // Started together: both migrate the empty schema and claim the log identity at once.
      const launched = await Promise.allSettled([serveCli([], env), serveCli([], env)]);
      for (const outcome of launched) if (outcome.status === 'fulfilled') servers.push(outcome.value);
      for (const outcome of launched) if (outcome.status === 'rejected') throw outcome.reason;
      const [a, b] = servers as [ServingCli, ServingCli];
      await waitFor('both servers’ two workers to listen', () =>
        servers.every((server) => /2 workers listening/.test(server.output())),
      );
      const urlOf = (side: Side) => (side === 'A' ? a.url : b.url);
      /** The error lines a server logged (pino level 50 and up), for failure messages. */
      const errorsOf = (side: Side) =>
        (side === 'A' ? a : b)
          .output()
          .split('\n')
          .filter((line) => /"level":(5|6)\d/.test(line))
          .join('\n');
      const tokens = await mintTokens(TENANTS);
      const ledger: Ledger = new Map();
      const batches = workload(SEED, ledger);
      const figures: Figures = {
        batchRequests: 0,
        recordsSent: 0,
        inserted: { 'communication-logs': 0, 'mfa-config-audit-logs': 0, 'operate-logs': 0 },
        duplicates: 0,
        receipts: 0,
        receiptsAnswered200: 0,
        receiptsAnswered409: 0,
        checkpointPosts: 0,
        checkpointsCreatedByPost: 0,
      };
      const logs = TENANTS.flatMap((tenant) => INGEST_KINDS.map((kind) => ({ tenant, kind: LOG_OF[kind] })));

      /** POST …/checkpoint through `side`: the note signed or answered (200 or 201 only). */
      const signThrough = async (side: Side, tenant: string, kind: string): Promise<string> => {
        const answer = await call(
          urlOf(side),
          'POST',
          `/v1/integrity/${kind}/checkpoint`,
          tokenOf(tokens.admin, tenant),
        );
        figures.checkpointPosts++;
        assert.ok(
          answer.status === 200 || answer.status === 201,
          `POST checkpoint of ${logKey(tenant, kind)} through ${side}: ${answer.status} ${answer.text} ${reproduce}\n${errorsOf(side)}`,
        );
        if (answer.status === 201) figures.checkpointsCreatedByPost++;
        return answer.text;
      };

      const jobRandom = generator(SEED ^ 0x5ea1);
      const shuffleJobs = (jobs: Job[]) => shuffle(jobRandom, jobs);

      const receiptJob =
        (plan: ReceiptPlan, round: number): Job =>
        async () => {
          const receipts = plan.rounds[round] ?? [];
          await Promise.all(
            receipts.map(async (receipt) => {
              const bearer = receipt.platform ? tokens.platformWriter : tokenOf(tokens.writer, plan.tenant);
              const answer = await call(
                urlOf(receipt.side),
                'PATCH',
                `/v1/ingest/communication-logs/${plan.id}`,
                bearer,
                receipt.body,
              );
              figures.receipts++;
              // 200: moved or already there; 409: a move backwards, or the race lost three times.
              assert.ok(
                answer.status === 200 || answer.status === 409,
                `receipt ${receipt.status} for ${plan.tenant}/${plan.id} through ${receipt.side}: ${answer.status} ${answer.text} ${reproduce}`,
              );
              if (answer.status === 200) {
                figures.receiptsAnswered200++;
                const { data } = JSON.parse(answer.text) as { data: { id: string; status: string } };
                assert.equal(data.id, plan.id);
              } else figures.receiptsAnswered409++;
            }),
          );
          return round + 1 < plan.rounds.length ? [receiptJob(plan, round + 1)] : [];
        };

      const ingestJob =
        (batch: Batch): Job =>
        async () => {
          const sides: Side[] = batch.target === 'both' ? ['A', 'B'] : [batch.target];
          const bearer =
            batch.tenant === undefined ? tokens.platformWriter : tokenOf(tokens.writer, batch.tenant);
          const answers = await Promise.all(
            sides.map((side) => call(urlOf(side), 'POST', `/v1/ingest/${batch.kind}`, bearer, batch.records)),
          );
          answers.forEach((answer, n) => {
            figures.batchRequests++;
            figures.recordsSent += batch.records.length;
            assert.equal(
              answer.status,
              200,
              `batch ${batch.name} through ${sides[n] ?? ''}: ${answer.text} ${reproduce}`,
            );
            const body = JSON.parse(answer.text) as { ids: string[]; inserted: number; duplicates: string[] };
            assert.deepEqual(body.ids, batch.ids, `batch ${batch.name}: the ids in the order sent`);
            figures.inserted[batch.kind] += body.inserted;
            figures.duplicates += body.duplicates.length;
          });
          return shuffleJobs(batch.plans.map((plan) => receiptJob(plan, 0)));
        };

      // POSTs racing on logs that have no leaf yet: each process signs the empty tree, one of them
      // stores it, and every POST answers it.
      await t.test('POSTs racing on a log without leaves all answer its one checkpoint', async (st) => {
        const answers = await Promise.all(
          logs.flatMap(({ tenant, kind }) =>
            (['A', 'B', 'A', 'B'] as const).map(async (side) => ({
              log: logKey(tenant, kind),
              side,
              ...(await call(
                urlOf(side),
                'POST',
                `/v1/integrity/${kind}/checkpoint`,
                tokenOf(tokens.admin, tenant),
              )),
            })),
          ),
        );
        const failed = answers.filter((answer) => answer.status !== 200 && answer.status !== 201);
        st.diagnostic(`${answers.length} POSTs on ${logs.length} empty logs: ${failed.length} failed`);
        assert.deepEqual(
          failed.map((answer) => `${answer.log} through ${answer.side}: ${answer.status}`),
          [],
          [errorsOf('A'), errorsOf('B')]
            .join('\n')
            .split('\n')
            .find((line) => line.includes('integrity_checkpoints_pkey')) ?? '',
        );
        for (const { tenant, kind } of logs) {
          const notes = new Set(
            answers.filter((answer) => answer.log === logKey(tenant, kind)).map((answer) => answer.text),
          );
          assert.equal(notes.size, 1, `${logKey(tenant, kind)}: one checkpoint of the empty tree`);
        }
      });
      // Whatever that race did, every log has its empty checkpoint now (one POST at a time).
      for (const { tenant, kind } of logs) {
        assert.equal(checkpointBody(await signThrough('A', tenant, kind)).size, 0);
      }

      // Checkpoints signed through both servers while the writes go on, log after log.
      let writing = true;
      const signWhileWriting = async (side: Side) => {
        while (writing) {
          for (const { tenant, kind } of logs) await signThrough(side, tenant, kind);
        }
      };
      const [writes, signing] = await Promise.allSettled([
        runPool(CLIENTS, batches.map(ingestJob)).finally(() => {
          writing = false;
        }),
        Promise.all([signWhileWriting('A'), signWhileWriting('B')]),
      ]);
      if (writes.status === 'rejected') throw writes.reason;
      if (signing.status === 'rejected') throw signing.reason;

      const raw = await rawPostgres(schema.url);
      try {
        // Every id sent is stored once; each duplicate (within a log, or a batch sent to both) stored nothing.
        const facts = new Map<string, LogFacts>();
        for (const { tenant, kind } of logs) {
          const log = await factsOf(raw, tenant, kind);
          facts.set(logKey(tenant, kind), log);
          const sent = [...(ledger.get(logKey(tenant, kind))?.keys() ?? [])].sort();
          assert.deepEqual([...log.records].sort(), sent, `${logKey(tenant, kind)}: the ids sent, each once`);
        }
        for (const kind of INGEST_KINDS) {
          const stored = TENANTS.reduce(
            (sum, tenant) => sum + (facts.get(logKey(tenant, LOG_OF[kind]))?.records.length ?? 0),
            0,
          );
          assert.equal(
            figures.inserted[kind],
            stored,
            `${kind}: the answers' inserted counts add up to the rows stored`,
          );
        }
        const sizeOf = (tenant: string, kind: string) => {
          const log = facts.get(logKey(tenant, kind));
          return log === undefined ? 0 : log.records.length + log.transitionCount;
        };

        // Sign through both servers, alternately, until every log's checkpoint covers all its rows.
        let turn = 0;
        await waitFor(
          'a checkpoint of every log covering all of its records and transitions',
          async () => {
            let covered = 0;
            for (const { tenant, kind } of logs) {
              const side: Side = turn++ % 2 === 0 ? 'A' : 'B';
              const { size } = checkpointBody(await signThrough(side, tenant, kind));
              assert.ok(
                size <= sizeOf(tenant, kind),
                `${logKey(tenant, kind)}: ${size} leaves signed ${reproduce}`,
              );
              if (size === sizeOf(tenant, kind)) covered++;
            }
            return covered === logs.length;
          },
          { intervalMs: 100 },
        );

        const summary: string[] = [];
        for (const { tenant, kind } of logs) {
          const log = facts.get(logKey(tenant, kind));
          assert.ok(log !== undefined);
          const check = {
            raw,
            urls: { A: a.url, B: b.url },
            admin: tokenOf(tokens.admin, tenant),
            publicKey,
            reproduce,
          };
          const sent = ledger.get(logKey(tenant, kind)) ?? new Map<string, Status | undefined>();
          summary.push(await checkLog(check, log, sent));
        }

        const noted = new Map<string, number>();
        for (const { tenant, kind } of logs) {
          const [row] = await raw.query<{ count: number }>(
            'SELECT count(*) AS count FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2',
            [tenant, kind],
          );
          noted.set(logKey(tenant, kind), row?.count ?? 0);
        }

        // Both stop cleanly.
        const ended = await Promise.all(servers.map((server) => stopCli(server)));
        ended.forEach((outcome, n) => {
          assert.equal(
            outcome.code,
            0,
            `server ${n === 0 ? 'A' : 'B'} exited with ${String(outcome.code ?? outcome.signal)}:\n${outcome.stderr}`,
          );
        });
        const outputs = servers.map((server) => server.output());
        servers.length = 0;
        outputs.forEach((output, n) => {
          assert.doesNotMatch(
            output,
            /refused to sign a checkpoint/,
            'no process refused to sign a checkpoint',
          );
          const logged = troubleIn(output);
          summary.push(
            `server ${n === 0 ? 'A' : 'B'} logged ${logged.size === 0 ? 'no warning or error' : [...logged].map(([message, count]) => `${count}× ${message}`).join('; ')}`,
          );
        });

        // No data log grew or was signed again after the checks; the logs are exactly the ones written.
        const present = await raw.query<{ tenant_id: string; kind: string }>(
          'SELECT tenant_id, kind FROM integrity_logs ORDER BY tenant_id, kind',
        );
        const dataLogs = present
          .filter((log) => log.kind !== 'access-log')
          .map((log) => logKey(log.tenant_id, log.kind));
        assert.deepEqual(
          dataLogs,
          logs.map((log) => logKey(log.tenant, log.kind)).sort(),
          'one log per tenant and kind',
        );
        for (const { tenant, kind } of logs) {
          const [row] = await raw.query<{ count: number }>(
            'SELECT count(*) AS count FROM integrity_checkpoints WHERE tenant_id = $1 AND kind = $2',
            [tenant, kind],
          );
          assert.equal(
            row?.count,
            noted.get(logKey(tenant, kind)),
            `${logKey(tenant, kind)}: no checkpoint after the checks`,
          );
        }
        // The admins' reads are access logs of their tenants: numbered the same way, each row at most once.
        const readers = present.filter((log) => log.kind === 'access-log').map((log) => log.tenant_id);
        summary.push(...(await checkAccessLogs(raw, readers)));

        t.diagnostic(
          `${SEED === Number(process.env.SEALOG_TWO_PROCESS_SEED) ? 'given' : 'random'} seed ${SEED}; ` +
            `${batches.length} batches in ${figures.batchRequests} requests (${figures.recordsSent} records sent, ` +
            `${figures.duplicates} answered as duplicates); ${figures.receipts} receipts (${figures.receiptsAnswered200} answered 200, ` +
            `${figures.receiptsAnswered409} 409); ${figures.checkpointPosts} checkpoint POSTs, ${figures.checkpointsCreatedByPost} signed by them`,
        );
        for (const line of summary) t.diagnostic(line);
        t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await raw.close();
      }
    } finally {
      // A failure leaves its servers running: they must not outlive the test or hold the schema.
      for (const server of servers) {
        if (server.child.exitCode === null && server.child.signalCode === null) {
          killGroup(server.child.pid);
          await server.done.catch(() => undefined);
        }
      }
      await schema.drop();
    }
  },
);
