/**
 * The order leaves take within one write, the same on every store so that the same writes give
 * the same logs: a write's records of one log in id order, compared as UTF-8 bytes (PostgreSQL's
 * COLLATE "C", SQLite's text comparison), each communication log's record before its transitions.
 */

/** Compares two ids by their UTF-8 bytes (not UTF-16 code units, as `<` and sort() do). */
export function compareUtf8(a: string, b: string): number {
  // ASCII ids (the usual case) order the same either way; the buffers only for the rest.
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

/** A write's stored records grouped by tenant (first appearance order), each group in id order. */
export function recordsByLog<Row extends { tenant_id: string; id: string }>(rows: readonly Row[]): Row[][] {
  const byTenant = new Map<string, Row[]>();
  for (const row of rows) {
    const group = byTenant.get(row.tenant_id);
    if (group === undefined) byTenant.set(row.tenant_id, [row]);
    else group.push(row);
  }
  return [...byTenant.values()].map((group) => group.sort((a, b) => compareUtf8(a.id, b.id)));
}
