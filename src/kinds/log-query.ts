import type { AuditStore, KeysetPosition } from '../domain/audit-store.js';
import { where, type Condition } from '../domain/conditions.js';
import { InvalidInputError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { cursorPage, decodeRowKey, type CursorPage } from '../domain/row-key.js';
import { adminReadScope } from '../domain/tenancy.js';
import { parseTimeParameter } from '../domain/time.js';
import type { LogRow, LogTable } from './log-table.js';

/**
 * The parameters of a console read as validated by its route: the common ones (tenant_id, from,
 * until) and the kind's filters, all text. Absent (undefined) filters do not filter.
 */
export type LogQueryParams = Readonly<Record<string, string | undefined>>;

/**
 * The domain half of a kind's query description (the HTTP half, with the schema and presenter,
 * is LogKindModule.console): what the kind's console filters mean as neutral conditions. Every
 * console capability (lists, export, histogram) reads a kind's filters from here.
 */
export interface LogQuery<Row extends LogRow = LogRow> {
  readonly table: LogTable<Row>;
  /** The kind's own filter parameters (beside tenant_id, from, until), in the order the console shows them. */
  readonly filters: readonly string[];
  /**
   * The conditions of the kind's filters in `params` (tenant and time range are resolveLogQuery's);
   * a filter left out is an undefined condition value.
   */
  conditions(params: LogQueryParams): Condition[];
}

/** A console read resolved against the caller: its scope, time range and every condition. */
export interface ResolvedLogQuery {
  /** The one tenant read, or undefined for every tenant (a platform admin naming none). */
  tenantId: string | undefined;
  /** Epoch ms, inclusive; undefined: no lower bound. */
  fromMs: number | undefined;
  /** Epoch ms, exclusive; undefined: no upper bound. */
  untilMs: number | undefined;
  /** Tenant, time range (on the table's time column) and the kind's filters. */
  conditions: Condition[];
}

/**
 * Resolves `params` for `principal`: admins only (a tenant admin reads its own tenant and naming
 * another is a PermissionError; a platform admin any tenant, or every one); `from` and `until` are
 * RFC 3339, `from` inclusive and `until` exclusive, and `from` later than `until` is an
 * InvalidInputError.
 */
export function resolveLogQuery(
  query: LogQuery,
  principal: Principal,
  params: LogQueryParams,
): ResolvedLogQuery {
  const scope = adminReadScope(principal, params.tenant_id);
  const fromMs = parseTimeParameter('from', params.from);
  const untilMs = parseTimeParameter('until', params.until);
  if (fromMs !== undefined && untilMs !== undefined && fromMs > untilMs) {
    throw new InvalidInputError(
      `from ${params.from ?? ''} is after until ${params.until ?? ''}: from must not be later`,
    );
  }
  const time = query.table.timeColumn;
  return {
    tenantId: scope.tenantId,
    fromMs,
    untilMs,
    conditions: [
      where('tenant_id', '=', scope.tenantId),
      where(time, '>=', fromMs),
      where(time, '<', untilMs),
      ...query.conditions(params),
    ],
  };
}

/** The value of `row`'s time column (epoch ms). */
export function timeOf(table: LogTable, row: LogRow): number {
  return (row as unknown as Record<string, number>)[table.timeColumn] ?? 0;
}

/**
 * One page of at most `limit` rows (≥ 1) of the resolved read, newest first by (time, id), after
 * `afterKey` (a last_row_key; anything else is an InvalidInputError). One row more is read to tell
 * has_more without counting. Rows are opened (personal fields unsealed, erased ones ERASED).
 */
export async function pageLogs<Row extends LogRow>(
  store: AuditStore,
  query: LogQuery<Row>,
  resolved: ResolvedLogQuery,
  afterKey: string | undefined,
  limit: number,
): Promise<CursorPage<Row>> {
  const after = afterKey === undefined ? undefined : decodeAfter(afterKey);
  const rows = await store.rows(query.table).page(resolved.conditions, after, limit + 1);
  return cursorPage(rows, limit, (row) => timeOf(query.table, row));
}

/**
 * Every row of the resolved read, newest first, in batches of up to `batchSize` rows: one keyset
 * page each, so memory stays bounded whatever the count (two pages: the next one is read while
 * the caller handles the current one, which overlaps a store that answers asynchronously with
 * the caller's work). Rows are read once (ReadOptions.once): nothing opened is cached. Stopping
 * the iteration (return(), a `break`) stops the walk: no further page is read.
 */
export async function* walkLogs<Row extends LogRow>(
  store: AuditStore,
  query: LogQuery<Row>,
  resolved: ResolvedLogQuery,
  batchSize: number,
): AsyncGenerator<Row[], void, undefined> {
  const rows = store.rows(query.table);
  const read = (after: KeysetPosition | undefined) =>
    rows.page(resolved.conditions, after, batchSize, { once: true });
  let next = read(undefined);
  for (;;) {
    const batch = await next;
    const last = batch.at(-1);
    const more = last !== undefined && batch.length === batchSize;
    if (more) {
      next = read({ time: timeOf(query.table, last), id: last.id });
      // Handled when awaited; a walk stopped before that must not leave it unhandled.
      next.catch(() => undefined);
    }
    if (batch.length > 0) yield batch;
    if (!more) return;
  }
}

function decodeAfter(key: string): KeysetPosition {
  try {
    return decodeRowKey(key);
  } catch {
    throw new InvalidInputError('after must be the last_row_key of a previous page');
  }
}
