import { ERASED, EXPIRED } from './personal-fields.js';
import type { PlaintextCache } from './plaintext-cache.js';
import { envelopeKeyId, openEnvelope, SealedFieldError, type SealContext } from './sealed-envelope.js';
import type { SubjectKeyRing } from './subject-key-ring.js';

/** An envelope to open and where its values go: a row's sealed columns, or one column. */
interface Pending {
  readonly target: Record<string, unknown>;
  /** undefined: the row envelope, spread over the sealed columns; else the column to set. */
  readonly column: string | undefined;
  readonly envelope: string;
  /** The id of the key that sealed it (envelopeKeyId), read once. */
  readonly keyId: string;
  readonly context: SealContext;
  /** A field sealed again under its period key (inside its row's envelope): gone reads EXPIRED. */
  readonly nested?: boolean;
}

/** How a row envelope holds a field sealed again under its period key: `{"sealed": envelope}`. */
export interface NestedValue {
  readonly sealed: string;
}

/** Whether `value`, as a row envelope holds it, is a field sealed again (see NestedValue). */
export function isNested(value: unknown): value is NestedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { sealed?: unknown }).sealed === 'string' &&
    Object.keys(value).length === 1
  );
}

/**
 * The envelopes of one read, opened together: plaintext-cache hits are applied at once, misses
 * wait for open(), which loads their keys with one store call per tenant and decrypts each once.
 * A batch that does not keep (an export's) neither looks in nor fills the plaintext cache and
 * caches no key it loads: see SubjectKeyRing.keysForOpening.
 */
export class EnvelopeBatch {
  private readonly pending: Pending[] = [];

  /**
   * @param sealedColumns the kind's sealed columns, in the order its row envelopes hold them.
   * @param expiring those of them whose values may be sealed again under a period key.
   * @param keep whether opened values and loaded keys are cached for later reads (default true).
   */
  constructor(
    private readonly ring: SubjectKeyRing,
    private readonly plaintexts: PlaintextCache,
    private readonly sealedColumns: readonly string[],
    private readonly expiring: readonly string[] = [],
    private readonly keep = true,
  ) {}

  /**
   * Puts what `envelope` holds into `target`: every sealed column when `column` is undefined (a
   * row envelope), else `column` alone. At once when cached, else during open().
   */
  add(
    target: Record<string, unknown>,
    column: string | undefined,
    envelope: string,
    context: SealContext,
  ): void {
    const values = this.keep ? this.plaintexts.get(envelope, context) : undefined;
    if (values === undefined) {
      this.pending.push({ target, column, envelope, keyId: envelopeKeyId(envelope), context });
    } else {
      this.apply({ target, column, envelope, keyId: '', context }, values);
    }
  }

  /**
   * Opens the queued envelopes. An envelope whose key is gone sets ERASED; one that fails to open
   * throws SealedFieldError (and so does a store's WrappedKeyError or ConfigError pass through).
   */
  async open(): Promise<void> {
    // Opening a row envelope may queue the fields sealed again inside it: a second round.
    while (this.pending.length > 0) await this.openRound(this.pending.splice(0));
  }

  private async openRound(round: readonly Pending[]): Promise<void> {
    const keyIds = new Map<string, Set<string>>();
    for (const item of round) {
      let ids = keyIds.get(item.context.tenantId);
      if (ids === undefined) keyIds.set(item.context.tenantId, (ids = new Set<string>()));
      ids.add(item.keyId);
    }
    const tenants = [...keyIds];
    const options = { keep: this.keep };
    const loaded = await Promise.all(
      tenants.map(([tenantId, ids]) => this.ring.keysForOpening(tenantId, ids, options)),
    );
    const keys = new Map(tenants.map(([tenantId], index) => [tenantId, loaded[index]]));
    for (const item of round) {
      const key = keys.get(item.context.tenantId)?.get(item.keyId);
      if (key === undefined) {
        this.apply(item, undefined);
        continue;
      }
      const values = this.decode(item, openEnvelope(item.envelope, key, item.context));
      if (this.keep) this.plaintexts.set(item.envelope, item.context, values);
      this.apply(item, values);
    }
  }

  /** The values an opened envelope carries: the row's sealed columns, or one column's value. */
  private decode(item: Pending, plaintext: string): readonly unknown[] {
    const { kind, recordId } = item.context;
    let parsed: unknown;
    try {
      parsed = JSON.parse(plaintext);
    } catch {
      throw new SealedFieldError('format', `sealed value of ${kind} ${recordId} is not JSON`);
    }
    if (item.column !== undefined) return [parsed];
    if (!Array.isArray(parsed) || parsed.length !== this.sealedColumns.length) {
      throw new SealedFieldError(
        'format',
        `sealed record ${kind} ${recordId} does not hold its ${this.sealedColumns.length} sealed columns`,
      );
    }
    return parsed as unknown[];
  }

  /**
   * Puts opened values in place; undefined values (the key is gone) read ERASED, or EXPIRED for
   * a field sealed again under its period key. Such a field found in a row envelope is queued.
   */
  private apply(item: Pending, values: readonly unknown[] | undefined): void {
    if (item.column !== undefined) {
      item.target[item.column] = values === undefined ? (item.nested === true ? EXPIRED : ERASED) : values[0];
      return;
    }
    this.sealedColumns.forEach((column, index) => {
      const value = values === undefined ? ERASED : values[index];
      if (isNested(value) && this.expiring.includes(column)) {
        const { tenantId, kind, recordId } = item.context;
        this.addNested(item.target, column, value.sealed, contextOf(tenantId, kind, recordId, column));
      } else {
        item.target[column] = value;
      }
    });
  }

  private addNested(target: Record<string, unknown>, column: string, envelope: string, context: SealContext) {
    const values = this.keep ? this.plaintexts.get(envelope, context) : undefined;
    if (values === undefined) {
      this.pending.push({ target, column, envelope, keyId: envelopeKeyId(envelope), context, nested: true });
    } else {
      this.apply({ target, column, envelope, keyId: '', context, nested: true }, values);
    }
  }
}

/**
 * A SealContext as a literal of one shape: `{ ...base, part }` made a dictionary-mode object and
 * cost more than a microsecond per envelope.
 */
export function contextOf(tenantId: string, kind: string, recordId: string, part: string): SealContext {
  return { tenantId, kind, recordId, part };
}
