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

/** A stream's state: delivering, retrying a failed delivery with back-off, or paused. */
export type StreamState = 'active' | 'retrying' | 'paused';

/**
 * A stream's destination as GET /v1/streams shows it: its type and that type's settings, secret
 * ones replaced by "[hidden]". The console reads only the fields it names (never a secret one).
 */
export type StreamDestination = Readonly<Record<string, unknown>> & { readonly type: string };

/** A log stream and its health, as GET /v1/streams and POST …/pause|resume answer it. */
export interface StreamItem {
  name: string;
  /** null: a platform stream (STREAMS_FILE). */
  tenant_id: string | null;
  destination: StreamDestination;
  kinds: string[];
  state: StreamState;
  paused_reason: string | null;
  paused_at: string | null;
  /** Events stored and not delivered yet, and the age in seconds of the oldest of them. */
  lag: { events: number; seconds: number };
  last_success_at: string | null;
  last_error: { at: string; message: string } | null;
  events_delivered: number;
  bytes_delivered: number;
  created_at: string;
  updated_at: string;
}

/** GET /v1/streams (a flat envelope: the list beside code and message). */
export interface StreamList {
  streams: StreamItem[];
}

/** POST /v1/streams/{name}/pause and /resume (a flat envelope). */
export interface StreamAnswer {
  stream: StreamItem;
}
