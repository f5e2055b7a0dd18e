import { InvalidInputError } from '../domain/errors.js';
import { parsePeriod, periodMs } from '../retention/retention-period.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { DestinationSettings } from './destinations/destination-types.js';
import type { StreamKey } from './stream-store.js';

export type { DestinationSettings };

/** A stream's name: what its URL holds. */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** How a stream batches: up to `maxEvents` events, or what has come within `maxWaitMs` of the first. */
export interface BatchSettings {
  /** 1 … 10,000 (default 100). */
  maxEvents: number;
  /** 0 … 60,000 ms (default 1,000): how long a batch waits for more events once one is pending. */
  maxWaitMs: number;
}

/** What a stream does to the records it delivers, by field name of the APIs' items. */
export interface Redaction {
  /** Fields left out of every delivered record. */
  drop: string[];
  /** Fields masked as the AuthMS API masks a recipient (`138****8000`, `a***@example.com`). */
  mask: string[];
}

/**
 * A stream as its admin (or STREAMS_FILE) defines it, without its secrets, which the destination's
 * registry entry names and which are stored sealed.
 */
export interface StreamDefinition {
  destination: DestinationSettings;
  /** Kinds it carries (LogTable.kind), at least one. */
  kinds: string[];
  /** Per kind, the console's filter parameters of that kind (exact values; key_words a substring). */
  filters: Record<string, Record<string, string>>;
  redact: Redaction;
  batch: BatchSettings;
  /** After failing this long without a success, the stream pauses itself: `<n>d` or `<n>h` (default 7d). */
  pauseAfterFailing: string;
  /** Per delivery (ms): a receiver that has not acknowledged by then is retried (default 30 s). */
  timeoutMs: number;
}

/** The definition's fields as the API and the file write them (snake_case). */
export interface StreamDefinitionInput {
  destination: DestinationSettings;
  kinds: string[];
  filters?: Record<string, Record<string, string>>;
  redact?: { drop?: string[]; mask?: string[] };
  batch?: { max_events?: number; max_wait_ms?: number };
  pause_after_failing?: string;
  timeout_ms?: number;
}

/** The kinds a stream may carry. */
export const STREAMABLE_KINDS: readonly string[] = LOG_TABLES.map((table) => table.kind);

const DEFAULT_PAUSE_AFTER = '7d';

/**
 * Checks what the schema cannot (kinds known, filters of a carried kind, no duplicate) and applies
 * defaults. `filterNames` gives each kind's filters; `fieldNames` its items' fields. Throws
 * InvalidInputError naming the offending value and what is allowed.
 */
export function definitionOf(
  input: StreamDefinitionInput,
  filterNames: (kind: string) => readonly string[],
  fieldNames: (kind: string) => readonly string[],
): StreamDefinition {
  const kinds = [...new Set(input.kinds)];
  if (kinds.length === 0) throw new InvalidInputError('kinds must name at least one kind');
  for (const kind of kinds) {
    if (!STREAMABLE_KINDS.includes(kind)) {
      throw new InvalidInputError(`kinds: ${kind} is not a kind; kinds are ${STREAMABLE_KINDS.join(', ')}`);
    }
  }
  const filters = input.filters ?? {};
  for (const [kind, params] of Object.entries(filters)) {
    if (!kinds.includes(kind)) {
      throw new InvalidInputError(`filters: ${kind} is not one of the stream's kinds (${kinds.join(', ')})`);
    }
    const allowed = filterNames(kind);
    for (const name of Object.keys(params)) {
      if (!allowed.includes(name)) {
        throw new InvalidInputError(
          `filters.${kind}: ${name} is not a filter of ${kind}s; filters are ${allowed.join(', ')}`,
        );
      }
    }
  }
  const fields = new Set(kinds.flatMap((kind) => fieldNames(kind)));
  const drop = [...new Set(input.redact?.drop ?? [])];
  const mask = [...new Set(input.redact?.mask ?? [])];
  for (const field of [...drop, ...mask]) {
    if (!fields.has(field)) {
      throw new InvalidInputError(`redact: ${field} is a field of none of the stream's kinds`);
    }
    if (field === 'tenant_id' || field === 'id') {
      throw new InvalidInputError(`redact: ${field} identifies the record and cannot be redacted`);
    }
  }
  const both = drop.find((field) => mask.includes(field));
  if (both !== undefined)
    throw new InvalidInputError(`redact: ${both} is both dropped and masked; choose one`);
  const pauseAfterFailing = input.pause_after_failing ?? DEFAULT_PAUSE_AFTER;
  const period = parsePeriod(pauseAfterFailing);
  if (period === undefined || period.unit === 'forever') {
    throw new InvalidInputError(
      `pause_after_failing ${pauseAfterFailing} is not a period: write <n>d or <n>h, e.g. 7d or 12h`,
    );
  }
  return {
    destination: input.destination,
    kinds,
    filters,
    redact: { drop, mask },
    batch: { maxEvents: input.batch?.max_events ?? 100, maxWaitMs: input.batch?.max_wait_ms ?? 1000 },
    pauseAfterFailing,
    timeoutMs: input.timeout_ms ?? 30_000,
  };
}

/** The definition as the API shows it (snake_case, every default written out). */
export function definitionInput(
  definition: StreamDefinition,
): Required<StreamDefinitionInput> & { batch: { max_events: number; max_wait_ms: number } } {
  return {
    destination: definition.destination,
    kinds: definition.kinds,
    filters: definition.filters,
    redact: definition.redact,
    batch: { max_events: definition.batch.maxEvents, max_wait_ms: definition.batch.maxWaitMs },
    pause_after_failing: definition.pauseAfterFailing,
    timeout_ms: definition.timeoutMs,
  };
}

/** How long the stream may fail without a success before it pauses itself, ms. */
export function pauseAfterMs(definition: StreamDefinition): number {
  const period = parsePeriod(definition.pauseAfterFailing);
  return (period === undefined ? undefined : periodMs(period)) ?? 7 * 86_400_000;
}

/** Whether stream `key` of `definition` carries `log`: one of its kinds, of its tenant (the platform's: any). */
export function carries(
  key: StreamKey,
  definition: StreamDefinition,
  log: { tenantId: string; kind: string },
): boolean {
  return definition.kinds.includes(log.kind) && (key.owner === '' || log.tenantId === key.owner);
}

/** The definition a stored stream holds (its `definition` JSON text, secrets apart). */
export function storedDefinition(stream: { definition: string }): StreamDefinition {
  return JSON.parse(stream.definition) as StreamDefinition;
}
