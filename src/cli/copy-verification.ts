import type { TableTally } from '../domain/audit-store.js';

/** One table and tenant of the source, with the rows the target holds for it. */
export interface TallyCheck {
  table: TableTally['table'];
  tenantId: string;
  source: number;
  target: number;
}

/**
 * Pairs every source count with the target's (0 when the target has no entry), in source order.
 * Tenants only the target has are left out: a target may hold rows from elsewhere.
 */
export function compareTallies(source: readonly TableTally[], target: readonly TableTally[]): TallyCheck[] {
  const targetRows = new Map(target.map((entry) => [tallyKey(entry.table, entry.tenantId), entry.rows]));
  return source.map((entry) => ({
    table: entry.table,
    tenantId: entry.tenantId,
    source: entry.rows,
    target: targetRows.get(tallyKey(entry.table, entry.tenantId)) ?? 0,
  }));
}

/** The checks whose target holds fewer rows than the source: rows the copy is missing. */
export function shortfalls(checks: readonly TallyCheck[]): TallyCheck[] {
  return checks.filter((check) => check.target < check.source);
}

/** Beyond this many table/tenant lines, matching tenants are summed per table. */
const MAX_DETAIL_LINES = 40;

/**
 * A fixed-width table of the checks: one line per table and tenant, or, for many tenants, one
 * line per table summing the tenants that match plus a line for each tenant that falls short.
 */
export function formatTallyChecks(checks: readonly TallyCheck[]): string {
  const lines: string[][] = [['table', 'tenant', 'source', 'target', '']];
  const status = (check: TallyCheck) =>
    check.target < check.source ? `MISSING ${check.source - check.target}` : 'ok';
  if (checks.length <= MAX_DETAIL_LINES) {
    for (const check of checks)
      lines.push(row(check.table, check.tenantId, check.source, check.target, status(check)));
  } else {
    for (const table of [...new Set(checks.map((check) => check.table))]) {
      const ofTable = checks.filter((check) => check.table === table);
      const matching = ofTable.filter((check) => check.target >= check.source);
      const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
      lines.push(
        row(
          table,
          `(${matching.length} tenants)`,
          sum(matching.map((check) => check.source)),
          sum(matching.map((check) => check.target)),
          'ok',
        ),
      );
      for (const check of shortfalls(ofTable))
        lines.push(row(table, check.tenantId, check.source, check.target, status(check)));
    }
  }
  const widths = (lines[0] ?? []).map((_, column) =>
    Math.max(...lines.map((line) => (line[column] ?? '').length)),
  );
  return lines
    .map((line) =>
      line
        .map((cell, column) =>
          column >= 2 && column <= 3 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

function row(table: string, tenant: string, source: number, target: number, status: string): string[] {
  return [table, tenant, String(source), String(target), status];
}

function tallyKey(table: string, tenantId: string): string {
  return JSON.stringify([table, tenantId]);
}
