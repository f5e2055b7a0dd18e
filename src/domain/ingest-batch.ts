import { InvalidInputError } from './errors.js';
import { generateId } from './ids.js';
import type { Principal } from './principal.js';
import { assertWriter, writeTenant } from './tenancy.js';
import { parseRfc3339 } from './time.js';

/** What every ingested record may carry besides its own fields. */
export interface IngestIdentity {
  id?: string | undefined;
  tenant_id?: string | undefined;
}

/** A record, its place in its batch, and the tenant and id it will be stored under. */
export interface ResolvedRecord<T> {
  record: T;
  index: number;
  tenantId: string;
  id: string;
}

/**
 * Checks the writer and resolves each record's tenant and id (generated when absent, with
 * `prefix`). An id given twice in one batch is refused: one of the two would be lost silently.
 * Throws before anything is written, so a rejected batch writes nothing.
 */
export function resolveBatch<T extends IngestIdentity>(
  principal: Principal,
  records: readonly T[],
  prefix: string,
  nowMs: number,
): ResolvedRecord<T>[] {
  assertWriter(principal);
  const seen = new Map<string, number>();
  return records.map((record, index) => {
    const tenantId = writeTenant(principal, record.tenant_id, index);
    const id = record.id ?? generateId(prefix, nowMs);
    const key = `${tenantId}\u0000${id}`;
    const first = seen.get(key);
    if (first !== undefined) throw new InvalidInputError(`record ${index}: id ${id} repeats record ${first}`);
    seen.set(key, index);
    return { record, index, tenantId, id };
  });
}

/**
 * Parses an optional RFC 3339 field into epoch ms; `fallback` when absent.
 * @param label how the error names the field, e.g. `record 3: created_at`
 * @throws InvalidInputError naming the field when the value is not RFC 3339
 */
export function parseOptionalTime<T extends number | null | undefined>(
  value: string | null | undefined,
  label: string,
  fallback: T,
): number | T {
  if (value === undefined || value === null) return fallback;
  const parsed = parseRfc3339(value);
  if (parsed === undefined) {
    throw new InvalidInputError(
      `${label} must be an RFC 3339 time such as 2026-04-15T10:00:00Z (got "${value}")`,
    );
  }
  return parsed;
}
