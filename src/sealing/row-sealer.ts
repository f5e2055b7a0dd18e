import type { ReadOptions } from '../domain/log-rows.js';
import type { LogRow, LogTable } from '../kinds/log-table.js';
import {
  checkSeparate,
  fieldKeySubject,
  foldAsciiCase,
  personalFields,
  SEALED_COLUMN,
  subjectOf,
  utcDayOf,
  type PersonalFields,
} from './personal-fields.js';
import type { PlaintextCache } from './plaintext-cache.js';
import { contextOf, EnvelopeBatch } from './envelope-batch.js';
import { isEnvelope, RECORD_PART, SealedFieldError, sealEnvelope } from './sealed-envelope.js';
import type { StoredSubjectKey, SubjectKey, SubjectKeyRing } from './subject-key-ring.js';

export { ERASED } from './personal-fields.js';

/** A row as stored: personal columns sealed, plus SEALED_COLUMN and the search copy, if any. */
export type StoredRow = LogRow & Record<string, unknown>;

/** Sealed rows and the subject keys created for them (to insert in the same transaction). */
export interface SealedRows {
  readonly rows: StoredRow[];
  readonly newKeys: StoredSubjectKey[];
}

/** Separately sealed values (envelope or null, by column) and the keys created for them. */
export interface SealedColumns {
  readonly values: Record<string, string | null>;
  readonly newKeys: StoredSubjectKey[];
}

/** The record a dependent row's sealed columns belong to (a transition's log). */
export interface ColumnOwner {
  readonly tenantId: string;
  readonly recordId: string;
}

/**
 * Turns plain rows into stored rows and back. Sealing costs one AEAD per row plus one per
 * non-null separately sealed column; opening costs a plaintext-cache lookup per envelope and, on a
 * miss, one AEAD, with the missing keys of a batch loaded in one store call per tenant.
 */
export class RowSealer {
  constructor(
    readonly ring: SubjectKeyRing,
    readonly plaintexts: PlaintextCache,
  ) {}

  /**
   * Stored rows for `rows`: sealed columns '' with their values in SEALED_COLUMN (the JSON array
   * of them, in declared order), each separate column its own envelope (null stays null), the
   * search copy set. `newKeys` must be stored with the rows, then passed to adopt().
   */
  async sealRows<Row extends LogRow>(table: LogTable<Row>, rows: readonly Row[]): Promise<SealedRows> {
    const fields = personalFields(table);
    const encryptions = new Map<string, Map<string, number>>();
    for (const row of rows) {
      const record = row as unknown as Record<string, unknown>;
      let counts = encryptions.get(row.tenant_id);
      if (counts === undefined) encryptions.set(row.tenant_id, (counts = new Map<string, number>()));
      const subject = subjectOf(fields, record);
      let envelopes = 1;
      for (const column of fields.separate) if (record[column] != null) envelopes += 1;
      counts.set(subject, (counts.get(subject) ?? 0) + envelopes);
      for (const column of fields.expiring) {
        if (record[column] == null) continue;
        const periodKey = periodKeyOf(fields, column, record);
        counts.set(periodKey, (counts.get(periodKey) ?? 0) + 1);
      }
    }
    const { keys, newKeys } = await this.keysForSealing(encryptions);
    const stored = rows.map((row) => {
      const record = row as unknown as Record<string, unknown>;
      const tenantKeys = keys.get(row.tenant_id);
      const key = tenantKeys?.get(subjectOf(fields, record));
      if (key === undefined) throw new Error(`no key for ${fields.kind} ${row.id}`);
      // Built column by column: a spread copy turns slow (~2 µs) once sealed/search_text are added.
      const out: Record<string, unknown> = {};
      for (const column of fields.columns) out[column] = record[column];
      const values: unknown[] = fields.sealed.map((column) => record[column]);
      for (const column of fields.expiring) {
        const index = fields.sealed.indexOf(column);
        const value = record[column];
        if (value == null) continue;
        const periodKey = tenantKeys?.get(periodKeyOf(fields, column, record));
        if (periodKey === undefined) throw new Error(`no period key for ${fields.kind} ${row.id}`);
        // Sealed again, inside the row's envelope: destroying the period key expires this field
        // alone, and erasing the subject still takes it with the rest.
        const context = contextOf(row.tenant_id, fields.kind, row.id, column);
        values[index] = { sealed: sealEnvelope(periodKey, context, JSON.stringify(value)) };
      }
      for (const column of fields.sealed) out[column] = '';
      const context = contextOf(row.tenant_id, fields.kind, row.id, RECORD_PART);
      out[SEALED_COLUMN] = sealEnvelope(key, context, JSON.stringify(values));
      for (const column of fields.separate) {
        const value = record[column];
        out[column] =
          value == null
            ? null
            : sealEnvelope(key, contextOf(row.tenant_id, fields.kind, row.id, column), JSON.stringify(value));
      }
      const search = fields.searchCopy;
      if (search !== undefined) {
        const text = record[search.of];
        out[search.column] = typeof text === 'string' ? foldAsciiCase(text) : null;
      }
      return out as StoredRow;
    });
    return { rows: stored, newKeys };
  }

  /**
   * Seals values of `table`'s separate columns for a later write (a delivery-status transition's
   * error/response), bound to the record `owner` names and sealed for its subject.
   */
  async sealColumns(
    table: LogTable,
    owner: ColumnOwner & { readonly subject: string },
    values: Readonly<Record<string, string | null>>,
  ): Promise<SealedColumns> {
    const fields = personalFields(table);
    const columns = Object.keys(values);
    for (const column of columns) checkSeparate(fields, column);
    const envelopes = columns.filter((column) => values[column] != null).length;
    if (envelopes === 0) return { values: { ...values }, newKeys: [] };
    const { keys, newKeys } = await this.ring.keysForSealing(
      owner.tenantId,
      new Map([[owner.subject, envelopes]]),
    );
    const key = keys.get(owner.subject);
    if (key === undefined) throw new Error(`no key for ${fields.kind} ${owner.recordId}`);
    const sealed: Record<string, string | null> = {};
    for (const column of columns) {
      const value = values[column] ?? null;
      const context = contextOf(owner.tenantId, fields.kind, owner.recordId, column);
      sealed[column] = value === null ? null : sealEnvelope(key, context, JSON.stringify(value));
    }
    return { values: sealed, newKeys };
  }

  /**
   * Drops what this process caches of an erased subject: its keys, which key is its current one,
   * and every plaintext opened with those keys. Reads then find the keys gone and answer ERASED.
   */
  forgetErased(tenantId: string, subject: string, keyIds: readonly string[]): void {
    this.ring.forgetKeys(tenantId, keyIds);
    this.ring.forgetSubject(tenantId, subject);
    this.plaintexts.evictKeyIds(keyIds);
  }

  /** After the write that stored `newKeys` committed: see SubjectKeyRing.adopt. */
  adopt(newKeys: readonly StoredSubjectKey[]): void {
    this.ring.adopt(newKeys);
  }

  /**
   * Plain rows for stored rows, as they were before sealing (SEALED_COLUMN and the search copy
   * removed). Rows not sealed yet (SEALED_COLUMN null: written before sealing existed) come back
   * as stored, and so does a separate column holding text that is no envelope. Personal fields
   * whose key is gone read ERASED. Throws SealedFieldError on an envelope that fails to open.
   * `options.once`: the rows are read once (an export's walk), so nothing opened is cached.
   */
  async openRows<Row extends LogRow>(
    table: LogTable<Row>,
    stored: readonly StoredRow[],
    options: ReadOptions = {},
  ): Promise<Row[]> {
    const fields = personalFields(table);
    const keep = options.once !== true;
    const batch = new EnvelopeBatch(this.ring, this.plaintexts, fields.sealed, fields.expiring, keep);
    const plain = stored.map((row) => {
      const out: Record<string, unknown> = {};
      for (const column of fields.columns) out[column] = row[column];
      const envelope = row[SEALED_COLUMN];
      if (envelope === null || envelope === undefined) return out;
      if (typeof envelope !== 'string') {
        throw new SealedFieldError('format', `${fields.kind} ${row.id}: ${SEALED_COLUMN} is not text`);
      }
      batch.add(out, undefined, envelope, contextOf(row.tenant_id, fields.kind, row.id, RECORD_PART));
      for (const column of fields.separate) {
        const value = row[column];
        if (isEnvelope(value))
          batch.add(out, column, value, contextOf(row.tenant_id, fields.kind, row.id, column));
      }
      return out;
    });
    await batch.open();
    return plain as unknown as Row[];
  }

  /**
   * Copies of `rows` (a kind's dependent rows, e.g. transitions) with `columns` opened: each pair
   * names the column and the separate column of `table` it was sealed as (a transition's
   * prev_error was sealed as `error`). Null and text that is no envelope are kept as they are.
   */
  async openColumns<R extends object>(
    table: LogTable,
    rows: readonly R[],
    ownerOf: (row: R) => ColumnOwner,
    columns: ReadonlyArray<readonly [column: string, part: string]>,
  ): Promise<R[]> {
    const fields = personalFields(table);
    for (const [, part] of columns) checkSeparate(fields, part);
    const batch = new EnvelopeBatch(this.ring, this.plaintexts, fields.sealed);
    const copies = rows.map((row) => {
      const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
      const { tenantId, recordId } = ownerOf(row);
      for (const [column, part] of columns) {
        const value = out[column];
        if (isEnvelope(value))
          batch.add(out, column, value, contextOf(tenantId, fields.kind, recordId, part));
      }
      return out;
    });
    await batch.open();
    return copies as R[];
  }

  private async keysForSealing(
    encryptions: ReadonlyMap<string, ReadonlyMap<string, number>>,
  ): Promise<{ keys: Map<string, ReadonlyMap<string, SubjectKey>>; newKeys: StoredSubjectKey[] }> {
    const tenants = [...encryptions];
    const found = await Promise.all(
      tenants.map(([tenantId, counts]) => this.ring.keysForSealing(tenantId, counts)),
    );
    const keys = new Map<string, ReadonlyMap<string, SubjectKey>>();
    const newKeys: StoredSubjectKey[] = [];
    found.forEach((sealing, index) => {
      keys.set(tenants[index]?.[0] ?? '', sealing.keys);
      newKeys.push(...sealing.newKeys);
    });
    return { keys, newKeys };
  }
}

/**
 * The subject of the period key an expiring field of `record` is sealed under: its field and the
 * UTC day of the record's time (a record without one, never stored so, falls on day 0).
 */
function periodKeyOf(fields: PersonalFields, column: string, record: Record<string, unknown>): string {
  const time = record[fields.timeColumn];
  return fieldKeySubject(column, utcDayOf(typeof time === 'number' ? time : 0));
}
