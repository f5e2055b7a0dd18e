import { LOG_TABLES } from '../kinds/log-tables.js';

/**
 * Erasure of a data subject: its keys are destroyed, so every personal field sealed for it reads
 * ERASED from then on, while its records, their leaves and every proof stay as they were. The
 * stores do the destroying (subject keys, search copies, free pages, WAL); this file holds what
 * both share: the request, the outcome and how other processes learn of an erasure.
 */

/** Who erases whom, and when. */
export interface ErasureRequest {
  readonly tenantId: string;
  /** The data subject: a record's subject column (user_id, operator_id, actor) holds it. */
  readonly subject: string;
  /** Who asked: the token's `sub`, or `cli:<os user>` for `sealog erase`. */
  readonly erasedBy: string;
  /** Epoch ms. */
  readonly at: number;
  /**
   * False: the freed bytes are wiped by a later scrubErased() instead of now (a purge expiring many
   * days of a field's keys wipes once, at its end). Default true.
   */
  readonly scrub?: boolean | undefined;
}

/** What an erasure found and did. */
export interface ErasureOutcome {
  readonly tenantId: string;
  readonly subject: string;
  /** Keys destroyed by this request: 0 when the subject was erased before (a repeat) or had none. */
  readonly keysDestroyed: number;
  /** The subject's records per kind (LogTable.kind): every one of them now reads ERASED. */
  readonly records: Readonly<Record<string, number>>;
  /** Epoch ms of the latest erasure that destroyed keys of the subject; undefined if none ever did. */
  readonly erasedAt: number | undefined;
  /**
   * Whether the store's files hold no copy of the destroyed keys any more (SQLite: the WAL was
   * truncated after the delete; PostgreSQL: the key table was vacuumed). False when readers kept
   * the WAL busy: a later erasure or checkpoint finishes it.
   */
  readonly scrubbed: boolean;
}

/** One erasure that destroyed keys, as every process reads it to drop what it caches of them. */
export interface ErasureNotice {
  /** Increasing with every erasure that destroyed keys. */
  readonly seq: number;
  readonly tenantId: string;
  readonly subject: string;
  readonly keyIds: readonly string[];
}

/** The store's side of erasure (AuditStore implements it). */
export interface SubjectErasure {
  /**
   * Destroys the subject's keys in its tenant, clears the search copies of its records and wipes
   * the freed bytes (see ErasureOutcome.scrubbed), recording the erasure. Idempotent: a repeat
   * destroys nothing and answers the same records. Resolves after the commit; this process's
   * caches forget the keys before it resolves, other processes' within ERASURE_POLL_MS.
   */
  eraseSubject(request: ErasureRequest): Promise<ErasureOutcome>;
  /**
   * Wipes the bytes that erasures with `scrub: false` freed (as eraseSubject does by default);
   * false when readers kept SQLite's WAL busy (a later erasure or checkpoint finishes it).
   */
  scrubErased(): Promise<boolean>;
}

/** What a store's erasure transaction found: the keys it destroyed, the records, the latest time. */
export interface ErasedKeys {
  readonly keyIds: readonly string[];
  readonly records: Readonly<Record<string, number>>;
  readonly erasedAt: number | undefined;
}

/** The outcome a store answers for `request`, from what its transaction did and whether it scrubbed. */
export function erasureOutcome(
  request: ErasureRequest,
  erased: ErasedKeys,
  scrubbed: boolean,
): ErasureOutcome {
  return {
    tenantId: request.tenantId,
    subject: request.subject,
    keysDestroyed: erased.keyIds.length,
    records: erased.records,
    erasedAt: erased.erasedAt,
    scrubbed,
  };
}

/** How often every process reads new erasures to drop the keys and plaintexts it caches, ms. */
export const ERASURE_POLL_MS = 1000;

/** Each kind's table and subject column: what an erasure counts (records per kind). */
export const SUBJECT_COLUMNS: ReadonlyArray<{ kind: string; table: string; subject: string }> =
  LOG_TABLES.map((table) => ({ kind: table.kind, table: table.table, subject: table.sealing.subject }));

/** The tables holding a search copy of a sealed column, and that column: cleared on erasure. */
export const SEARCH_COPIES: ReadonlyArray<{ table: string; subject: string; column: string }> =
  LOG_TABLES.flatMap((table) =>
    table.sealing.searchCopy === undefined
      ? []
      : [{ table: table.table, subject: table.sealing.subject, column: table.sealing.searchCopy.column }],
  );
