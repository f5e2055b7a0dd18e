import { generateKeySync, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { MasterKeys } from './master-keys.js';
import type { SealingKey } from './sealed-envelope.js';

/**
 * The subject keys: one or more random AES-256 keys per (tenant, data subject), kept wrapped by
 * the master keys in the store and unwrapped here on demand. Erasing a subject (destroying its
 * keys) makes every value sealed for it unreadable without touching the records.
 */

/** A subject key as the store keeps it (table `subject_keys`). */
export interface StoredSubjectKey {
  readonly tenant_id: string;
  /** base64url of 8 random bytes (11 characters), unique within the tenant. */
  readonly key_id: string;
  /** The data subject ('' = the tenant's no-subject key). */
  readonly subject: string;
  /** The master key that wrapped it. */
  readonly master_key_id: string;
  /** base64(nonce ‖ ciphertext ‖ tag) of the 32-byte key, bound to tenant, subject and key id. */
  readonly wrapped: string;
  /** Epoch ms when it was created. */
  readonly created_at: number;
}

/**
 * The port the stores implement for the ring. Keys are only ever inserted (with the rows they
 * seal, in the same transaction) or deleted (erasure): never changed.
 */
export interface SubjectKeyStore {
  /** The tenant's keys among `keyIds` (unique ids); ids without a key are left out. */
  findByIds(tenantId: string, keyIds: readonly string[]): Promise<StoredSubjectKey[]>;
  /**
   * The keys of each of `subjects` (unique) that has one: at least its newest (greatest
   * created_at, then greatest key_id); a store may return older ones too, the ring picks.
   */
  findCurrent(tenantId: string, subjects: readonly string[]): Promise<StoredSubjectKey[]>;
}

/** An unwrapped subject key. */
export interface SubjectKey extends SealingKey {
  readonly tenantId: string;
  readonly subject: string;
}

/** Keys to seal a batch with, and the keys created for it that the caller must store with it. */
export interface SealingKeys {
  /** One key per requested subject. */
  readonly keys: ReadonlyMap<string, SubjectKey>;
  /** To insert in the rows' transaction (ON CONFLICT DO NOTHING), then to pass to adopt(). */
  readonly newKeys: StoredSubjectKey[];
}

/**
 * Envelopes one process seals under a key before it moves the subject to a fresh key: random
 * 96-bit nonces stay safe up to 2^32 messages per key (NIST SP 800-38D §8.3); 2^24 keeps the
 * collision chance negligible even with several processes sharing a key.
 */
export const ROTATE_AFTER_ENCRYPTIONS = 2 ** 24;
/** Unwrapped keys kept by default (by tenant and key id). */
export const DEFAULT_MAX_KEYS = 100_000;

/**
 * Keys the walks that keep nothing (exports) share, apart from the main cache: more than the
 * users of the benchmark's largest tenant (20,000), a few MB.
 */
const WALK_KEYS = 32_768;

export interface SubjectKeyRingOptions {
  /** Unwrapped keys (and known-erased key ids) kept; DEFAULT_MAX_KEYS by default. */
  readonly maxKeys?: number;
  /** (tenant, subject) pairs whose current key is remembered; maxKeys by default. */
  readonly maxCurrentSubjects?: number;
  /** Encryptions per key and process before rotating; ROTATE_AFTER_ENCRYPTIONS by default. */
  readonly rotateAfter?: number;
  /** Epoch ms for created_at; Date.now by default. */
  readonly now?: () => number;
}

/** How keysForOpening treats the cache. */
export interface OpeningOptions {
  /**
   * Whether keys loaded from the store are cached (and cached ones marked recently used); true by
   * default. false for a walk over many subjects that will not come back to them (an export):
   * caching their keys would cost more than it saves and evict the keys of hot reads.
   */
  readonly keep?: boolean;
}

/** A key in the cache with the encryptions this process has done or reserved under it. */
interface KeyEntry {
  readonly key: SubjectKey;
  encryptions: number;
}

/**
 * Marks a key id known to be absent (erased): a stored envelope's key is inserted in the same
 * transaction as the envelope and only ever deleted afterwards, so absence is final.
 */
const ABSENT = Object.freeze({ absent: true as const });
type CachedKey = KeyEntry | typeof ABSENT;

function isKey(entry: CachedKey | undefined): entry is KeyEntry {
  return entry !== undefined && entry !== ABSENT;
}

const cacheKey = (tenantId: string, part: string): string => `${tenantId}\0${part}`;

/**
 * Unwraps, caches and creates subject keys. Batches are served with at most one store call per
 * kind of lookup; new keys are handed to the caller, never written here.
 */
export class SubjectKeyRing {
  private readonly keys: LRUCache<string, CachedKey>;
  /**
   * Keys loaded by walks that keep nothing (exports), apart from `keys`: a tenant's export meets
   * the same users' keys page after page, and unwrapping them again each time costs more than
   * the rest of opening a row, while putting them in `keys` would evict what interactive reads need.
   */
  private readonly walkKeys = new LRUCache<string, SubjectKey>({ max: WALK_KEYS });
  /** tenant\0subject → key id of the key new envelopes are sealed with. */
  private readonly current: LRUCache<string, string>;
  private readonly rotateAfter: number;
  private readonly now: () => number;

  constructor(
    private readonly store: SubjectKeyStore,
    private readonly masterKeys: MasterKeys,
    options: SubjectKeyRingOptions = {},
  ) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.keys = new LRUCache({ max: maxKeys });
    this.current = new LRUCache({ max: options.maxCurrentSubjects ?? maxKeys });
    this.rotateAfter = options.rotateAfter ?? ROTATE_AFTER_ENCRYPTIONS;
    this.now = options.now ?? Date.now;
  }

  /**
   * A key for each subject of `encryptions` (subject → envelopes about to be sealed for it, each
   * counted against the rotation bound). Subjects missing from the cache are looked up in one
   * store call; subjects without a key, or whose key has reached the bound, get a new key, listed
   * in `newKeys`: the caller stores those with the sealed rows and then calls adopt().
   */
  async keysForSealing(tenantId: string, encryptions: ReadonlyMap<string, number>): Promise<SealingKeys> {
    const keys = new Map<string, SubjectKey>();
    const newKeys: StoredSubjectKey[] = [];
    const missing: string[] = [];
    const fresh: string[] = [];
    for (const [subject, count] of encryptions) {
      const keyId = this.current.get(cacheKey(tenantId, subject));
      const entry = keyId === undefined ? undefined : this.keys.get(cacheKey(tenantId, keyId));
      if (!isKey(entry)) missing.push(subject);
      else if (this.reserve(entry, count)) keys.set(subject, entry.key);
      else fresh.push(subject);
    }
    if (missing.length > 0) {
      const found = newestBySubject(tenantId, await this.store.findCurrent(tenantId, missing));
      for (const subject of missing) {
        const stored = found.get(subject);
        const entry = stored === undefined ? undefined : this.entryOf(stored);
        if (entry === undefined) {
          fresh.push(subject);
          continue;
        }
        this.current.set(cacheKey(tenantId, subject), entry.key.keyId);
        if (this.reserve(entry, encryptions.get(subject) ?? 0)) keys.set(subject, entry.key);
        else fresh.push(subject);
      }
    }
    for (const subject of fresh) {
      const { stored, entry } = this.create(tenantId, subject);
      entry.encryptions = encryptions.get(subject) ?? 0;
      keys.set(subject, entry.key);
      newKeys.push(stored);
    }
    return { keys, newKeys };
  }

  /**
   * Makes keys returned by keysForSealing the current keys of their subjects, once the caller's
   * transaction that stored them has committed. Keys not adopted (a failed write) are simply
   * never used again.
   */
  adopt(newKeys: readonly StoredSubjectKey[]): void {
    for (const stored of newKeys) {
      const entry = this.entryOf(stored);
      this.current.set(cacheKey(stored.tenant_id, stored.subject), entry.key.keyId);
    }
  }

  /**
   * The tenant's keys among `keyIds`, loading the uncached ones in one store call. A key id
   * without a key (its subject was erased) is left out of the result: not an error.
   */
  async keysForOpening(
    tenantId: string,
    keyIds: Iterable<string>,
    options: OpeningOptions = {},
  ): Promise<Map<string, SubjectKey>> {
    const keep = options.keep ?? true;
    const keys = new Map<string, SubjectKey>();
    const missing = new Set<string>();
    for (const keyId of keyIds) {
      const id = cacheKey(tenantId, keyId);
      // peek: a walk that keeps nothing leaves the cache's order to the reads that do.
      const entry = keep ? this.keys.get(id) : this.keys.peek(id);
      const walked = keep || entry !== undefined ? undefined : this.walkKeys.get(id);
      if (isKey(entry)) keys.set(keyId, entry.key);
      else if (walked !== undefined) keys.set(keyId, walked);
      else if (entry === undefined) missing.add(keyId);
    }
    if (missing.size === 0) return keys;
    for (const stored of await this.store.findByIds(tenantId, [...missing])) {
      if (stored.tenant_id !== tenantId || !missing.has(stored.key_id)) continue;
      keys.set(stored.key_id, keep ? this.entryOf(stored).key : this.walked(stored));
      missing.delete(stored.key_id);
    }
    if (keep) for (const keyId of missing) this.keys.set(cacheKey(tenantId, keyId), ABSENT);
    return keys;
  }

  /** Forgets cached keys (erasure): later lookups go to the store, which no longer has them. */
  forgetKeys(tenantId: string, keyIds: Iterable<string>): void {
    for (const keyId of keyIds) {
      this.keys.delete(cacheKey(tenantId, keyId));
      this.walkKeys.delete(cacheKey(tenantId, keyId));
    }
  }

  /** Forgets which key is a subject's current one (erasure): the next seal looks it up again. */
  forgetSubject(tenantId: string, subject: string): void {
    this.current.delete(cacheKey(tenantId, subject));
  }

  /** Counts `count` encryptions against `entry` unless that would pass the rotation bound. */
  private reserve(entry: KeyEntry, count: number): boolean {
    // A key fresh in this process takes any batch, however large, so that rotation always ends.
    if (entry.encryptions > 0 && entry.encryptions + count > this.rotateAfter) return false;
    entry.encryptions += count;
    return true;
  }

  /** A stored key unwrapped for a walk: kept among the walks' keys, not in the main cache. */
  private walked(stored: StoredSubjectKey): SubjectKey {
    const owner = { tenantId: stored.tenant_id, subject: stored.subject, keyId: stored.key_id };
    const key = { ...owner, key: this.masterKeys.unwrap(owner, stored) };
    this.walkKeys.set(cacheKey(stored.tenant_id, stored.key_id), key);
    return key;
  }

  /** The cache entry of a stored key, unwrapping it on a miss. */
  private entryOf(stored: StoredSubjectKey): KeyEntry {
    const id = cacheKey(stored.tenant_id, stored.key_id);
    const cached = this.keys.get(id);
    if (isKey(cached)) return cached;
    const owner = { tenantId: stored.tenant_id, subject: stored.subject, keyId: stored.key_id };
    const key = this.masterKeys.unwrap(owner, stored);
    const entry: KeyEntry = { key: { ...owner, key }, encryptions: 0 };
    this.keys.set(id, entry);
    return entry;
  }

  private create(tenantId: string, subject: string): { stored: StoredSubjectKey; entry: KeyEntry } {
    const keyId = randomBytes(8).toString('base64url');
    const key = generateKeySync('aes', { length: 256 });
    const owner = { tenantId, subject, keyId };
    const { master_key_id, wrapped } = this.masterKeys.wrap(owner, key);
    const stored = {
      tenant_id: tenantId,
      key_id: keyId,
      subject,
      master_key_id,
      wrapped,
      created_at: this.now(),
    };
    // Cached at once, so rows sealed with it open before it is adopted (or if never adopted).
    const entry: KeyEntry = { key: { ...owner, key }, encryptions: 0 };
    this.keys.set(cacheKey(tenantId, keyId), entry);
    return { stored, entry };
  }
}

/** The newest of the stored keys per subject (a store may return more than one per subject). */
function newestBySubject(
  tenantId: string,
  stored: readonly StoredSubjectKey[],
): Map<string, StoredSubjectKey> {
  const newest = new Map<string, StoredSubjectKey>();
  for (const key of stored) {
    if (key.tenant_id !== tenantId) continue;
    const known = newest.get(key.subject);
    // Ties go to the greater key id, as the stores order them, so every process picks the same key.
    const newer =
      known === undefined ||
      key.created_at > known.created_at ||
      (key.created_at === known.created_at && key.key_id > known.key_id);
    if (newer) newest.set(key.subject, key);
  }
  return newest;
}
