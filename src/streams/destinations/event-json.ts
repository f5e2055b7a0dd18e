import { formatRfc3339 } from '../../domain/time.js';
import type { StreamEvent } from './destination.js';

/**
 * An event as every destination writes it (a webhook's and Splunk's JSON, a NATS message, a
 * syslog message's body): the StreamEvent with its time as RFC 3339 UTC.
 */
export interface EventJson {
  id: string;
  kind: string;
  tenant_id: string;
  leaf_index: number;
  record_id: string;
  transition: number;
  /** RFC 3339, UTC, e.g. `2026-05-15T08:30:00.123Z`. */
  time: string;
  record: Readonly<Record<string, unknown>>;
}

/** The JSON form of `event`, keys in a fixed order. */
export function eventJson(event: StreamEvent): EventJson {
  return {
    id: event.id,
    kind: event.kind,
    tenant_id: event.tenant_id,
    leaf_index: event.leaf_index,
    record_id: event.record_id,
    transition: event.transition,
    time: formatRfc3339(event.time),
    record: event.record,
  };
}
