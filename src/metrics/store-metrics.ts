import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditStore } from '../domain/audit-store.js';

/**
 * The store's families in `registry`: events ingested per kind, heard on the after-commit seam of
 * the process where writes commit (the one process holding SQLite's writer, or each process on
 * PostgreSQL), and the figures the store reports about itself (store.health()) at each scrape.
 */
export function registerStoreMetrics(registry: Registry, store: AuditStore): void {
  const ingested = new Counter({
    name: 'sealog_ingested_events_total',
    help: 'Log records stored (duplicates not counted), by kind (table)',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Counts only, never held rows, and never holds a write back: a full queue is dropped and
  // its counts lost, which a counter of this process's life may afford.
  store.afterCommit.subscribe(
    {
      name: 'metrics',
      appended: (batch) => {
        ingested.inc({ kind: batch.table.table }, batch.count);
        return Promise.resolve();
      },
      catchUp: () => Promise.resolve(),
    },
    { capacityRows: 1_000_000, overflow: 'catch-up', rows: false },
  );

  new Gauge({
    name: 'sealog_sqlite_writer_queue_depth',
    help: 'Writes sent to the SQLite writer and not yet answered',
    registers: [registry],
    collect() {
      const depth = store.health().writerQueueDepth;
      if (depth !== undefined) this.set(depth);
    },
  });
  const totals = (pick: (groups: { groups: number; writes: number }) => number) =>
    function (this: Counter) {
      const groups = store.health().groupCommits;
      if (groups === undefined) return;
      this.reset();
      this.inc(pick(groups));
    };
  new Counter({
    name: 'sealog_sqlite_group_commits_total',
    help: 'Transactions the SQLite writer committed (one fsync each)',
    registers: [registry],
    collect: totals((groups) => groups.groups),
  });
  new Counter({
    name: 'sealog_sqlite_group_commit_writes_total',
    help: 'Writes those transactions held; divided by sealog_sqlite_group_commits_total, the mean group size',
    registers: [registry],
    collect: totals((groups) => groups.writes),
  });
  new Gauge({
    name: 'sealog_search_index_lag_rows',
    help: 'Operate-log rows stored and not yet in the SQLite search index',
    registers: [registry],
    collect() {
      const lag = store.health().searchIndexLagRows;
      if (lag !== undefined) this.set(lag);
    },
  });
  new Gauge({
    name: 'sealog_postgres_pool_connections',
    help: 'PostgreSQL connections of the pool, by state (in_use, idle)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = store.health().pool;
      if (pool === undefined) return;
      this.set({ state: 'in_use' }, pool.inUse);
      this.set({ state: 'idle' }, pool.idle);
    },
  });
  new Gauge({
    name: 'sealog_postgres_pool_waiting_queries',
    help: 'Queries waiting for a free PostgreSQL connection',
    registers: [registry],
    collect() {
      const pool = store.health().pool;
      if (pool !== undefined) this.set(pool.waiting);
    },
  });
}
