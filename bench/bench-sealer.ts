import type { LogRow, LogTable } from '../src/kinds/log-table.js';
import { PlaintextCache } from '../src/sealing/plaintext-cache.js';
import { RowSealer, type SealedRows } from '../src/sealing/row-sealer.js';
import {
  SubjectKeyRing,
  type StoredSubjectKey,
  type SubjectKeyStore,
} from '../src/sealing/subject-key-ring.js';
import { benchSealing } from './bench-keys.js';

/**
 * The subject keys the loader created, kept in memory: the loader writes them to the store next
 * to the rows they seal, so the ring never needs to read them back from it.
 */
class LoadedSubjectKeys implements SubjectKeyStore {
  private readonly byId = new Map<string, StoredSubjectKey>();
  private readonly current = new Map<string, StoredSubjectKey>();

  add(keys: readonly StoredSubjectKey[]): void {
    for (const key of keys) {
      this.byId.set(`${key.tenant_id}\0${key.key_id}`, key);
      this.current.set(`${key.tenant_id}\0${key.subject}`, key);
    }
  }

  findByIds(tenantId: string, keyIds: readonly string[]): Promise<StoredSubjectKey[]> {
    return Promise.resolve(keyIds.flatMap((id) => this.byId.get(`${tenantId}\0${id}`) ?? []));
  }

  findCurrent(tenantId: string, subjects: readonly string[]): Promise<StoredSubjectKey[]> {
    return Promise.resolve(subjects.flatMap((subject) => this.current.get(`${tenantId}\0${subject}`) ?? []));
  }
}

/**
 * Seals generated rows as the store's own write path does (same RowSealer, the benchmark's fixed
 * master key), so loaded data is in the form a server writes: the loader then stores the rows and
 * the new subject keys in one go, instead of the store sealing plaintext rows one UPDATE at a time
 * as on an upgrade (3,000 rows/s on PostgreSQL: hours at 10 million rows per kind).
 */
export class LoaderSealer {
  private readonly keys = new LoadedSubjectKeys();
  private readonly sealer = new RowSealer(
    // Every subject's key stays unwrapped: 40 tenants × 20,000 users and the operators fit.
    new SubjectKeyRing(this.keys, benchSealing().masterKeys, { maxKeys: 1_000_000 }),
    new PlaintextCache({ maxBytes: 1 }),
  );

  /** `rows` sealed, with the subject keys created for them (to store with them). */
  async seal<Row extends LogRow>(table: LogTable<Row>, rows: readonly Row[]): Promise<SealedRows> {
    const sealed = await this.sealer.sealRows(table, rows);
    this.keys.add(sealed.newKeys);
    this.sealer.adopt(sealed.newKeys);
    return sealed;
  }
}
