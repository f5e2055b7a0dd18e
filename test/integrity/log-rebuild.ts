/**
 * What a log should be, recomputed by the tests from the rows as stored: leaf bytes with a second
 * JCS implementation (json-canonicalize), the record as first stored by undoing its transitions
 * from what each replaced, and the RFC 6962 root by a recursive Merkle tree hash written apart
 * from src/. Shared by the sequencing tests of both stores.
 */
import { canonicalize } from 'json-canonicalize';
import { hashLeaf, merkleTreeHash } from '../helpers/independent-merkle.js';

/** Raw reads of a store, in the test's own SQL. */
export interface RawStore {
  /** A log's leaves in index order. */
  leaves(tenantId: string, kind: string): Promise<{ record_id: string; transition: number }[]>;
  /** A record as stored (every column). */
  record(table: string, tenantId: string, id: string): Promise<Record<string, unknown>>;
  /** A communication log's history as stored, in seq order, without seq and txid. */
  history(tenantId: string, logId: string): Promise<Record<string, unknown>[]>;
}

const COLUMNS: Record<string, string[]> = {
  'communication-log': [
    'tenant_id',
    'id',
    'user_id',
    'channel',
    'status',
    'recipient',
    'content',
    'provider',
    'template_id',
    'error',
    'response',
    'sent_at',
    'created_at',
    'updated_at',
    'sealed',
  ],
  'operate-log': [
    'tenant_id',
    'id',
    'record_time',
    'uid',
    'username',
    'operate_type',
    'operate_content',
    'user_id',
    'role',
    'account',
    'operate_geo_info',
    'operate_ip_info',
    'client_id',
    'merchant_code',
    'ext',
    'project_code',
    'sealed',
  ],
  'mfa-config-audit-log': [
    'tenant_id',
    'id',
    'action',
    'target_type',
    'target_id',
    'operator_id',
    'module',
    'message',
    'timestamp',
    'sealed',
  ],
  'access-log': [
    'tenant_id',
    'id',
    'accessed_at',
    'actor',
    'api',
    'method',
    'route',
    'query',
    'row_count',
    'status',
    'error',
    'ip',
    'duration_ms',
    'sealed',
  ],
};

export const TABLE_OF_KIND: Record<string, string> = {
  'communication-log': 'communication_logs',
  'operate-log': 'operate_logs',
  'mfa-config-audit-log': 'mfa_config_audit_logs',
  'access-log': 'access_logs',
};

const HISTORY_COLUMNS = [
  'tenant_id',
  'log_id',
  'from_status',
  'to_status',
  'error',
  'response',
  'sent_at',
  'changed_at',
  'prev_error',
  'prev_response',
  'prev_sent_at',
  'prev_updated_at',
];

function recordLeaf(kind: string, row: Record<string, unknown>): string {
  const leaf: Record<string, unknown> = { v: 1, type: 'record', kind };
  for (const column of COLUMNS[kind] ?? []) leaf[column] = row[column];
  return canonicalize(leaf);
}

/** The leaf texts of a log, recomputed from its rows. */
export async function expectedLeaves(raw: RawStore, tenantId: string, kind: string): Promise<string[]> {
  const leaves: string[] = [];
  for (const { record_id: id, transition } of await raw.leaves(tenantId, kind)) {
    const row = await raw.record(TABLE_OF_KIND[kind] ?? '', tenantId, id);
    if (kind !== 'communication-log') {
      leaves.push(recordLeaf(kind, row));
      continue;
    }
    const history = await raw.history(tenantId, id);
    if (transition > 0) {
      const step = history[transition - 1] ?? {};
      const leaf: Record<string, unknown> = { v: 1, type: 'transition', kind, transition };
      for (const column of HISTORY_COLUMNS) leaf[column] = step[column];
      leaves.push(canonicalize(leaf));
      continue;
    }
    const first = { ...row };
    for (const step of [...history].reverse()) {
      if (step.prev_updated_at === null) break; // legacy history stays applied
      first.status = step.from_status;
      first.error = step.prev_error;
      first.response = step.prev_response;
      first.sent_at = step.prev_sent_at;
      first.updated_at = step.prev_updated_at;
    }
    leaves.push(recordLeaf(kind, first));
  }
  return leaves;
}

/** The RFC 6962 root (hex) of leaf texts. */
export function rootOf(leaves: readonly string[]): string {
  return merkleTreeHash(leaves.map((leaf) => hashLeaf(Buffer.from(leaf, 'utf8')))).toString('hex');
}

/** `row` without the store-internal `columns` (seq, txid). */
export function withoutColumns(row: Record<string, unknown>, ...columns: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([column]) => !columns.includes(column)));
}
