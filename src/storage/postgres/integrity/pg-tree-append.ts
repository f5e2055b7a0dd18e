import type pg from 'pg';
import { HASH_BYTES } from '../../../integrity/merkle/rfc6962-hashing.js';
import { logKey, type TreeStep } from '../../../integrity/sequencing/integrity-store.js';

/** `buffers` as one bytea and each one's [offset, length] in it, for substring() in SQL. */
function packed(buffers: readonly Buffer[]): { bytes: Buffer; starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  let offset = 0;
  for (const buffer of buffers) {
    starts.push(offset);
    offset += buffer.length;
  }
  return { bytes: Buffer.concat(buffers), starts, lengths: buffers.map((buffer) => buffer.length) };
}

/** `step`'s log, named in an error. */
function described({ log }: TreeStep): string {
  return `${log.kind} log of ${JSON.stringify(log.tenantId)}`;
}

/**
 * IntegrityStore.appendTrees on PostgreSQL, inside the caller's transaction on `client`: locks the
 * steps' logs (in key order, so two builders never deadlock each other), keeps the
 * steps whose tree size is still the expected one, checks each kept tile against the stored one,
 * then writes every kept tile in one INSERT and every kept size and root in one UPDATE — five
 * statements whatever the number of logs. Throws (the caller rolls back) on a broken invariant.
 */
export async function appendTreesIn(
  client: pg.ClientBase,
  steps: readonly TreeStep[],
  lockOneByOne = false,
): Promise<boolean[]> {
  if (steps.length === 0) return [];
  if (new Set(steps.map((step) => logKey(step.log))).size !== steps.length) {
    throw new Error('appendTrees takes each log at most once');
  }
  // A tree's growth does not wait for its WAL flush (waiting behind the ingest's WAL held the
  // sequencer to ~10 logs a second under load). Nothing is lost to a crash: tiles, size and root
  // are a function of the numbered leaves, which commit synchronously, and the builder recomputes
  // them the same; a later synchronous commit (a checkpoint, the next numbering) flushes this one.
  await client.query('SET LOCAL synchronous_commit = off');
  const logs = await lockLogs(client, steps, lockOneByOne);
  const states = new Map(logs.map((row) => [logKey({ tenantId: row.tenant_id, kind: row.kind }), row]));
  const applied = steps.map((step) => states.get(logKey(step.log))?.tree_size === step.update.expectedSize);
  const kept = steps.filter((_, position) => applied[position]);
  if (kept.length === 0) return applied;
  for (const step of kept) {
    const { assigned } = states.get(logKey(step.log)) as { assigned: number };
    if (step.update.root.length !== HASH_BYTES) throw new Error(`${described(step)}: a root is 32 bytes`);
    if (step.update.size <= step.update.expectedSize || step.update.size > assigned) {
      throw new Error(
        `${described(step)}: cannot grow from ${step.update.expectedSize} to ${step.update.size} leaves with ${assigned} numbered`,
      );
    }
  }
  const tiles = kept.flatMap((step) => step.update.tiles.map((tile) => ({ step, tile })));
  const tileColumns = [
    tiles.map(({ step }) => step.log.tenantId),
    tiles.map(({ step }) => step.log.kind),
    tiles.map(({ tile }) => tile.level),
    tiles.map(({ tile }) => tile.index),
  ];
  const stored = await client.query<{
    tenant_id: string;
    kind: string;
    level: number;
    tile_index: number;
    hashes: Buffer;
  }>(
    `SELECT t.tenant_id, t.kind, t.level, t.tile_index, t.hashes FROM integrity_tiles t
       JOIN unnest($1::text[], $2::text[], $3::integer[], $4::bigint[]) AS wanted(tenant_id, kind, level, tile_index)
         ON t.tenant_id = wanted.tenant_id AND t.kind = wanted.kind
        AND t.level = wanted.level AND t.tile_index = wanted.tile_index`,
    tileColumns,
  );
  const tileKey = (tenantId: string, kind: string, level: number, index: number) =>
    `${logKey({ tenantId, kind })}\u0000${level}/${index}`;
  const existing = new Map(
    stored.rows.map((row) => [tileKey(row.tenant_id, row.kind, row.level, row.tile_index), row.hashes]),
  );
  for (const { step, tile } of tiles) {
    const before = existing.get(tileKey(step.log.tenantId, step.log.kind, tile.level, tile.index));
    const width = before === undefined ? 0 : before.length / HASH_BYTES;
    if (
      width !== tile.previousWidth ||
      (before !== undefined && !tile.hashes.subarray(0, before.length).equals(before))
    ) {
      throw new Error(
        `${described(step)}: tile ${tile.level}/${tile.index} holds ${width} hashes, not the ${tile.previousWidth} its growth starts from`,
      );
    }
  }
  // Hashes and roots as one bytea cut in SQL: an array of bytea would travel as escaped text.
  const hashes = packed(tiles.map(({ tile }) => tile.hashes));
  await client.query(
    `INSERT INTO integrity_tiles (tenant_id, kind, level, tile_index, hashes)
     SELECT t.tenant_id, t.kind, t.level, t.tile_index, substring($5::bytea from t.start + 1 for t.length)
       FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $6::integer[], $7::integer[])
            AS t(tenant_id, kind, level, tile_index, start, length)
     ON CONFLICT (tenant_id, kind, level, tile_index) DO UPDATE SET hashes = excluded.hashes`,
    [...tileColumns, hashes.bytes, hashes.starts, hashes.lengths],
  );
  await client.query(
    `UPDATE integrity_logs l SET tree_size = g.size, root = substring($4::bytea from (g.n - 1)::integer * ${HASH_BYTES} + 1 for ${HASH_BYTES})
       FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS g(tenant_id, kind, size, n)
      WHERE l.tenant_id = g.tenant_id AND l.kind = g.kind`,
    [
      kept.map((step) => step.log.tenantId),
      kept.map((step) => step.log.kind),
      kept.map((step) => step.update.size),
      Buffer.concat(kept.map((step) => step.update.root)),
    ],
  );
  return applied;
}

/** A log's row as a pass reads it under its lock. */
interface LockedLog {
  tenant_id: string;
  kind: string;
  assigned: number;
  tree_size: number;
}

/**
 * Reads and locks the logs of `steps` in key order (so that two passes cannot deadlock): in one
 * statement, or one statement per log where that is a locking read of many shards (Citus).
 */
async function lockLogs(
  client: pg.ClientBase,
  steps: readonly TreeStep[],
  oneByOne: boolean,
): Promise<LockedLog[]> {
  if (!oneByOne) {
    const { rows } = await client.query<LockedLog>(
      `SELECT l.tenant_id, l.kind, l.assigned, l.tree_size FROM integrity_logs l
         JOIN unnest($1::text[], $2::text[]) AS w(tenant_id, kind) ON l.tenant_id = w.tenant_id AND l.kind = w.kind
        ORDER BY l.tenant_id, l.kind FOR UPDATE OF l`,
      [steps.map((step) => step.log.tenantId), steps.map((step) => step.log.kind)],
    );
    return rows;
  }
  // One order for every pass: passes lock logs in it, so two cannot wait on each other.
  const ordered = [...steps].sort((a, b) => compareKeys(logKey(a.log), logKey(b.log)));
  const locked: LockedLog[] = [];
  for (const step of ordered) {
    const { rows } = await client.query<LockedLog>(
      `SELECT tenant_id, kind, assigned, tree_size FROM integrity_logs
        WHERE tenant_id = $1 AND kind = $2 FOR UPDATE`,
      [step.log.tenantId, step.log.kind],
    );
    locked.push(...rows);
  }
  return locked;
}

const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
