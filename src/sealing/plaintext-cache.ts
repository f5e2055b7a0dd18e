import { LRUCache } from 'lru-cache';
import { ENVELOPE_PREFIX, KEY_ID_LENGTH, type SealContext } from './sealed-envelope.js';

/**
 * Opened envelopes, so that reading the same rows again (the first page of a list, polled) costs
 * no decryption. Keyed by the envelope text: its random nonce makes it unique, and an envelope
 * never changes, so an entry is never stale. Bounded by an estimate of the bytes it holds.
 */

/** Default bound of the cache: 32 MiB. */
export const DEFAULT_PLAINTEXT_CACHE_BYTES = 32 * 1024 * 1024;

/** What an envelope held, and where it was opened. */
interface Opened {
  readonly context: SealContext;
  readonly values: readonly unknown[];
}

/** Bytes a JS object, array slot or string header costs, roughly (V8, 64-bit, compressed pointers). */
const OVERHEAD_BYTES = 64;
const SLOT_BYTES = 16;

export interface PlaintextCacheOptions {
  /** Most bytes held (estimated: 2 per UTF-16 unit plus object overheads); default 32 MiB. */
  readonly maxBytes?: number;
}

export class PlaintextCache {
  private readonly cache: LRUCache<string, Opened>;

  constructor(options: PlaintextCacheOptions = {}) {
    this.cache = new LRUCache<string, Opened>({
      maxSize: options.maxBytes ?? DEFAULT_PLAINTEXT_CACHE_BYTES,
      sizeCalculation: (opened, envelope) => sizeOf(envelope, opened),
    });
  }

  /**
   * The values `envelope` was opened to for `context`, or undefined. A hit for another context is
   * a miss: an envelope copied onto another record must go through authentication (and fail).
   */
  get(envelope: string, context: SealContext): readonly unknown[] | undefined {
    const opened = this.cache.get(envelope);
    if (opened === undefined) return undefined;
    const known = opened.context;
    return known.recordId === context.recordId &&
      known.part === context.part &&
      known.tenantId === context.tenantId &&
      known.kind === context.kind
      ? opened.values
      : undefined;
  }

  /** Remembers what `envelope` opened to (authenticated for `context`): its decoded values. */
  set(envelope: string, context: SealContext, values: readonly unknown[]): void {
    // A copy of the context: the caller's object may be reused for the next envelope.
    const { tenantId, kind, recordId, part } = context;
    this.cache.set(envelope, { context: { tenantId, kind, recordId, part }, values });
  }

  /**
   * Drops every entry sealed with one of `keyIds` (erasure). Walks the whole cache: erasure is
   * rare. Key ids are random per tenant, so matching on the id alone drops only the intended
   * entries in practice (and another tenant's entry dropped by chance is merely re-read).
   * Returns how many entries were dropped.
   */
  evictKeyIds(keyIds: Iterable<string>): number {
    const wanted = new Set(keyIds);
    if (wanted.size === 0) return 0;
    const start = ENVELOPE_PREFIX.length;
    const doomed: string[] = [];
    for (const envelope of this.cache.keys()) {
      if (wanted.has(envelope.slice(start, start + KEY_ID_LENGTH))) doomed.push(envelope);
    }
    for (const envelope of doomed) this.cache.delete(envelope);
    return doomed.length;
  }

  /** Entries held. */
  get size(): number {
    return this.cache.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  /** Drops everything (tests, or a change of master keys). */
  clear(): void {
    this.cache.clear();
  }
}

function sizeOf(envelope: string, opened: Opened): number {
  const { context } = opened;
  let bytes = 3 * OVERHEAD_BYTES + 2 * (envelope.length + context.tenantId.length + context.recordId.length);
  for (const value of opened.values) {
    bytes += typeof value === 'string' ? SLOT_BYTES + OVERHEAD_BYTES / 4 + 2 * value.length : SLOT_BYTES;
  }
  return bytes;
}
