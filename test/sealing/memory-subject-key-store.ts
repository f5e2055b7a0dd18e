import { createSecretKey, randomBytes } from 'node:crypto';
import { MasterKeys } from '../../src/sealing/master-keys.js';
import type { StoredSubjectKey, SubjectKeyStore } from '../../src/sealing/subject-key-ring.js';

/**
 * An in-memory SubjectKeyStore for the sealing tests (the real ones live in storage/): keys are
 * inserted as a store would in the rows' transaction, and every lookup is counted.
 */
export class MemorySubjectKeyStore implements SubjectKeyStore {
  readonly keys: StoredSubjectKey[] = [];
  readonly calls: { method: 'findByIds' | 'findCurrent'; tenantId: string; values: string[] }[] = [];

  /** The lookups since the last call, as [method, tenant, how many ids or subjects]; then forgets them. */
  takeCalls(): [string, string, number][] {
    return this.calls.splice(0).map((call) => [call.method, call.tenantId, call.values.length]);
  }

  /** Inserts keys, ignoring those already present (ON CONFLICT DO NOTHING). */
  insert(keys: readonly StoredSubjectKey[]): void {
    for (const key of keys) {
      if (!this.keys.some((known) => known.tenant_id === key.tenant_id && known.key_id === key.key_id)) {
        this.keys.push(key);
      }
    }
  }

  /** Deletes every key of a subject (erasure). */
  erase(tenantId: string, subject: string): string[] {
    const erased = this.keys.filter((key) => key.tenant_id === tenantId && key.subject === subject);
    for (const key of erased) this.keys.splice(this.keys.indexOf(key), 1);
    return erased.map((key) => key.key_id);
  }

  findByIds(tenantId: string, keyIds: readonly string[]): Promise<StoredSubjectKey[]> {
    this.calls.push({ method: 'findByIds', tenantId, values: [...keyIds] });
    return Promise.resolve(
      this.keys.filter((key) => key.tenant_id === tenantId && keyIds.includes(key.key_id)),
    );
  }

  findCurrent(tenantId: string, subjects: readonly string[]): Promise<StoredSubjectKey[]> {
    this.calls.push({ method: 'findCurrent', tenantId, values: [...subjects] });
    const newest = new Map<string, StoredSubjectKey>();
    for (const key of this.keys) {
      if (key.tenant_id !== tenantId || !subjects.includes(key.subject)) continue;
      const known = newest.get(key.subject);
      if (known === undefined || key.created_at >= known.created_at) newest.set(key.subject, key);
    }
    return Promise.resolve([...newest.values()]);
  }
}

/** Master keys with random material under the given ids, the first wrapping. */
export function randomMasterKeys(...ids: string[]): MasterKeys {
  return new MasterKeys(ids.map((id) => [id, createSecretKey(randomBytes(32))] as const));
}
