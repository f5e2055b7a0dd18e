/**
 * Does a leaf belong to the record the drawer shows? A record leaf is the JCS JSON of the row as
 * inserted (src/integrity/leaves/leaf-format.ts): {v, type:'record', kind, tenant_id, id, …columns,
 * sealed}. Sealed columns are '' there (their values sit in the `sealed` envelope, which only the
 * server's keys open), so what can be compared is the kind, and the stored, unsealed, never-updated
 * columns the kind names (KindSpec.leafFields), times as epoch milliseconds.
 */
import type { LogItem } from '../api/types';
import { TIME_FIELDS, type KindSpec } from '../kinds';

/** Whether the leaf matches: the number of fields compared, or the first field that differs. */
export type LeafMatch =
  { matches: true; compared: number } | { matches: false; field: string } | { json: false };

/** Compares `leafText` with `item` as /v1/logs presents it. */
export function matchLeaf(leafText: string, item: LogItem, spec: KindSpec): LeafMatch {
  let leaf: unknown;
  try {
    leaf = JSON.parse(leafText);
  } catch {
    return { json: false };
  }
  if (typeof leaf !== 'object' || leaf === null || Array.isArray(leaf)) return { json: false };
  const members = leaf as Record<string, unknown>;
  if (members.type !== 'record') return { matches: false, field: 'type' };
  if (members.kind !== spec.kind) return { matches: false, field: 'kind' };
  let compared = 0;
  for (const field of spec.leafFields) {
    if (!(field in item)) continue;
    if (!sameValue(field, item[field], members[field])) return { matches: false, field };
    compared++;
  }
  return { matches: true, compared };
}

/** A shown value against a leaf value: instants compared as epoch ms, the rest as JSON values. */
function sameValue(field: string, shown: unknown, stored: unknown): boolean {
  if (TIME_FIELDS.has(field)) return epochMs(shown) === epochMs(stored);
  return shown === stored;
}

/** Epoch ms of an RFC 3339 text or an epoch-ms number; NaN otherwise (never equal to anything). */
function epochMs(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') return Date.parse(value);
  return Number.NaN;
}
