/** The shapes of the API answers the console reads (docs: the design contract). */

/** A record as /v1/logs presents it: the kind's API item plus its tenant. */
export type LogItem = Readonly<Record<string, unknown>> & { readonly id: string; readonly tenant_id: string };

/** GET /v1/logs/{kind}. */
export interface LogPage {
  items: LogItem[];
  has_more: boolean;
  last_row_key: string;
}

/** GET /v1/stats/{kind}/histogram. */
export interface Histogram {
  interval: 'hour' | 'day';
  from: string;
  until: string;
  buckets: { start: string; count: number }[];
}

/** GET/POST /v1/console/session(s). */
export interface ConsoleSession {
  sub: string;
  tenant_id: string | null;
  roles: string[];
  expires_at: string;
}

/** GET /admin/communication/logs/{id}/transitions. */
export interface StatusTransition {
  from_status: string;
  to_status: string;
  error: string | null;
  response: string | null;
  sent_at: string;
  changed_at: string;
}

/** GET /v1/integrity/{kind}/inclusion. */
export interface InclusionAnswer {
  leaf_index: number;
  tree_size: number;
  /** base64 of the leaf bytes. */
  leaf: string;
  /** base64 of each 32-byte proof hash, from the leaf up. */
  proof: string[];
  /** The signed checkpoint note the proof is against. */
  checkpoint: string;
}

/** GET /v1/integrity/{kind}/key. */
export interface VerifierKeyAnswer {
  origin: string;
  verifier_key: string;
}
