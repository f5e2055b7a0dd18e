import { createHash } from 'node:crypto';
import { conditionsInUse, type Condition } from '../domain/conditions.js';
import { maskRecipient } from '../domain/masking.js';
import type { LogQuery } from '../kinds/log-query.js';
import type { LogRow } from '../kinds/log-table.js';
import { ERASED, foldAsciiCase } from '../sealing/personal-fields.js';
import type { StreamEvent } from './destinations/destination.js';
import type { FedLeaf } from './leaf-feed.js';
import type { StreamDefinition } from './stream-definition.js';

/** What streams need of a kind: its console query (filters) and its API presenter. */
export interface StreamKind {
  readonly query: LogQuery;
  /** The fields of the kind's API items, in order. */
  readonly fields: readonly string[];
  /** A stored row, opened, as the kind's API shows it (with tenant_id). */
  present(row: LogRow): Record<string, unknown>;
}

/** The kinds streams carry, by LogTable.kind. */
export type StreamKinds = ReadonlyMap<string, StreamKind>;

/** Turns a stream's leaves into its events: filtered, presented, redacted. */
export class EventBuilder {
  private readonly conditions = new Map<string, Condition[]>();

  constructor(
    private readonly kinds: StreamKinds,
    private readonly definition: StreamDefinition,
  ) {
    for (const kind of definition.kinds) {
      const query = kinds.get(kind)?.query;
      const params = definition.filters[kind];
      if (query !== undefined && params !== undefined) {
        this.conditions.set(kind, conditionsInUse(query.conditions(params)));
      }
    }
  }

  /** The event of `leaf` of `tenantId`'s log of `kind`, or undefined when the stream's filters leave it out. */
  event(kind: string, tenantId: string, leaf: FedLeaf): StreamEvent | undefined {
    const description = this.kinds.get(kind);
    if (description === undefined) return undefined;
    const conditions = this.conditions.get(kind);
    if (
      conditions !== undefined &&
      !conditions.every((condition) => holds(description.query, leaf.row, condition))
    ) {
      return undefined;
    }
    const { drop, mask } = this.definition.redact;
    const record: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(description.present(leaf.row))) {
      if (drop.includes(field)) continue;
      record[field] = mask.includes(field) ? masked(value) : value;
    }
    return {
      id: `${tenantId}/${kind}/${leaf.leafIndex}`,
      kind,
      tenant_id: tenantId,
      leaf_index: leaf.leafIndex,
      record_id: leaf.recordId,
      transition: leaf.transition,
      time: leaf.time,
      record,
    };
  }
}

/**
 * Whether `row` meets `condition` as the store would answer it: `=` on the column's value,
 * `contains` on the plaintext its search copy is made of (case-insensitive for ASCII letters).
 */
function holds(query: LogQuery, row: LogRow, condition: Condition): boolean {
  const values = row as unknown as Record<string, unknown>;
  const [column] = condition.columns;
  const [wanted] = condition.values;
  if (column === undefined || wanted === undefined || condition.columns.length !== 1) return true;
  if (condition.op === 'contains') {
    const copy = query.table.sealing.searchCopy;
    const text = textOf(values[copy?.column === column ? copy.of : column]);
    return foldAsciiCase(text).includes(foldAsciiCase(String(wanted)));
  }
  if (condition.op === '=') return textOf(values[column]) === String(wanted);
  return true;
}

/** A value as text: strings and numbers as written, anything else (null) as ''. */
const textOf = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

/** `value` masked as the AuthMS API masks a recipient; empty, null and `[erased]` stay as they are. */
function masked(value: unknown): unknown {
  const text = textOf(value);
  return text === '' || text === ERASED ? value : maskRecipient(text);
}

/** A batch's id: the same for the same events (a retry), `msg_` and 32 hex digits (Standard Webhooks' style). */
export function batchId(streamKey: string, events: readonly StreamEvent[]): string {
  const hash = createHash('sha256').update(streamKey);
  for (const event of events) hash.update('\u0000').update(event.id);
  return `msg_${hash.digest('hex').slice(0, 32)}`;
}
