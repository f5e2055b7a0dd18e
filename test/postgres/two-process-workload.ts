/**
 * The seeded workload of integrity-two-processes.test.ts: batches of fresh communication, MFA and
 * operate logs per tenant (some re-sending stored ids, some sent to both servers at once, one per
 * kind spanning every tenant) and, for communication logs, delivery receipts racing through both
 * servers. The same seed gives the same batches and receipts.
 */
import {
  generator,
  INGEST_KINDS,
  LOG_OF,
  pick,
  PREFIX,
  recordOf,
  shuffle,
  timeIso,
  token,
  type IngestKind,
  type Random,
  type Row,
} from '../helpers/log-events.js';

export const TENANTS = ['tnt_north', 'tnt_south', 'tnt_west'] as const;
/** Batches of fresh ids per tenant and kind, besides the batches spanning every tenant. */
const BATCHES_PER_LOG = 8;

/** One of the two servers. */
export type Side = 'A' | 'B';
export type Status = 'pending' | 'sent' | 'delivered' | 'failed';

/** One delivery receipt: where it is sent and what it says. */
export interface Receipt {
  side: Side;
  status: Status;
  /** Sent with a platform writer token, naming the tenant in the body. */
  platform: boolean;
  body: Row;
}

/** A communication log's receipts: rounds one after the other, the receipts of a round all at once. */
export interface ReceiptPlan {
  tenant: string;
  id: string;
  rounds: Receipt[][];
}

export interface Batch {
  name: string;
  kind: IngestKind;
  /** undefined: a platform writer's batch, each record naming its tenant. */
  tenant: string | undefined;
  records: Row[];
  ids: string[];
  /** Where it is sent; `both`: to the two servers at the same moment. */
  target: Side | 'both';
  /** Receipt plans of the logs this batch stores first (sent once the batch is acknowledged). */
  plans: ReceiptPlan[];
}

/** Every id sent, per `${tenant}/${kind}`, with the status a communication log was sent with. */
export type Ledger = Map<string, Map<string, Status | undefined>>;

export const logKey = (tenant: string, kind: string) => `${tenant}/${kind}`;

function receiptOf(random: Random, tenant: string, side: Side, status: Status): Receipt {
  const platform = random() < 0.3;
  const body: Row = { status };
  if (status === 'sent') body.response = `queued ${token(random, 6)}`;
  if (status === 'delivered' && random() < 0.5) body.response = 'DELIVRD';
  if (status === 'failed') body.error = pick(random, ['unreachable', 'bounced', 'blocked by carrier']);
  if (status !== 'failed' && random() < 0.3) body.sent_at = timeIso(random);
  if (platform) body.tenant_id = tenant;
  return { side, status, platform, body };
}

/** Receipts racing on one log through both servers; which of them win is up to the race. */
function receiptPlan(random: Random, tenant: string, id: string, initial: Status): ReceiptPlan {
  const other = (side: Side): Side => (side === 'A' ? 'B' : 'A');
  const first: Side = random() < 0.5 ? 'A' : 'B';
  const r = (side: Side, status: Status) => receiptOf(random, tenant, side, status);
  const plans: Receipt[][][] =
    initial === 'sent'
      ? [
          [[r(first, 'delivered'), r(other(first), 'failed')]],
          [[r(first, 'delivered'), r(other(first), 'delivered')]],
          [[r(first, 'failed')], [r(other(first), 'failed')]],
        ]
      : [
          [[r(first, 'sent'), r(other(first), 'sent')], [r(other(first), 'delivered')]],
          [[r(first, 'sent'), r(other(first), 'delivered')]],
          [[r(first, 'sent')], [r(first, 'delivered'), r(other(first), 'failed')]],
          [[r(first, 'failed')]],
          [[r(first, 'delivered'), r(other(first), 'delivered'), r(first, 'sent')]],
        ];
  return { tenant, id, rounds: pick(random, plans) };
}

/** The whole workload, from `seed`: batches in the order the clients take them up; `ledger` notes every id. */
export function workload(seed: number, ledger: Ledger): Batch[] {
  const random = generator(seed);
  const batches: Batch[] = [];
  const made = new Map<string, Row[]>();
  const fresh = (tenant: string, kind: IngestKind, count: number): Row[] => {
    const rows = Array.from({ length: count }, () => {
      const id = `${PREFIX[kind]}${token(random, 10)}`;
      return recordOf(kind, random, id, 'fresh');
    });
    const key = logKey(tenant, LOG_OF[kind]);
    made.set(key, [...(made.get(key) ?? []), ...rows]);
    const ids = ledger.get(key) ?? new Map<string, Status | undefined>();
    ledger.set(key, ids);
    for (const row of rows) {
      ids.set(
        String(row.id),
        kind === 'communication-logs' ? ((row.status ?? 'pending') as Status) : undefined,
      );
    }
    return rows;
  };
  const plansOf = (tenant: string, kind: IngestKind, rows: readonly Row[]): ReceiptPlan[] =>
    kind !== 'communication-logs'
      ? []
      : rows
          .filter(() => random() < 0.6)
          .map((row) => receiptPlan(random, tenant, String(row.id), (row.status ?? 'pending') as Status));
  const target = (): Side | 'both' => (random() < 0.3 ? 'both' : random() < 0.5 ? 'A' : 'B');

  for (const kind of INGEST_KINDS) {
    for (const tenant of TENANTS) {
      for (let n = 0; n < BATCHES_PER_LOG; n++) {
        const rows = fresh(tenant, kind, 12 + Math.floor(random() * 30));
        // Some batches also re-send records stored by an earlier batch of the log: duplicates.
        const earlier = (made.get(logKey(tenant, LOG_OF[kind])) ?? []).slice(0, -rows.length);
        const again = n > 0 && random() < 0.5 ? shuffle(random, earlier).slice(0, 4) : [];
        const records = shuffle(random, [...rows, ...again]);
        batches.push({
          name: `${tenant}/${kind}#${n}`,
          kind,
          tenant,
          records,
          ids: records.map((row) => String(row.id)),
          target: target(),
          plans: plansOf(tenant, kind, rows),
        });
      }
    }
    // One batch of a platform writer, spanning every tenant: one transaction in three logs.
    const spanning = TENANTS.flatMap((tenant) =>
      fresh(tenant, kind, 5 + Math.floor(random() * 6)).map((row): Row => ({ ...row, tenant_id: tenant })),
    );
    const records = shuffle(random, spanning);
    batches.push({
      name: `every tenant/${kind}`,
      kind,
      tenant: undefined,
      records,
      ids: records.map((row) => String(row.id)),
      target: target(),
      plans: TENANTS.flatMap((tenant) =>
        plansOf(
          tenant,
          kind,
          spanning.filter((row) => row.tenant_id === tenant),
        ),
      ),
    });
  }
  return shuffle(random, batches);
}
