import type { AuditStore } from '../domain/audit-store.js';
import {
  applyTransition,
  initialState,
  legacyPrefixLength,
  type StoredCommunicationLog,
  type StoredTransition,
} from '../integrity/leaves/delivery-history.js';
import type { LeafRange } from '../integrity/integrity-log.js';
import type { LeafWindow } from '../integrity/leaves/leaf-builder.js';
import { logTableOfKind } from '../kinds/log-tables.js';
import type { LogRow } from '../kinds/log-table.js';

/** A leaf of a log as a stream reads it: its place and its record as it stood at the leaf. */
export interface FedLeaf {
  leafIndex: number;
  recordId: string;
  /** 0: the record; K: its K-th status transition. */
  transition: number;
  /** The record's time, or for a transition the time of the change (epoch ms). */
  time: number;
  /** The record opened (personal fields unsealed, erased ones `[erased]`) as it was at this leaf. */
  row: LogRow;
}

/**
 * The leaves of each range (a log's [start, end)) that still have their record, in leaf order,
 * each with its record as the leaf holds it: a record's leaf shows the record as inserted, its
 * K-th transition's leaf the record after its first K transitions (what the API showed then, with
 * today's erasures). Leaves whose record a retention purge removed are left out. One store read
 * for all the ranges, one open per kind.
 */
export async function readLeaves(store: AuditStore, ranges: readonly LeafRange[]): Promise<FedLeaf[][]> {
  const wanted = ranges.filter((range) => range.end > range.start);
  const windows = await store.integrity.leafWindows(wanted);
  const found = new Map<LeafRange, FoundLeaf[]>();
  const byKind = new Map<string, FoundLeaf[]>();
  wanted.forEach((range, position) => {
    const leaves = foundLeaves(range.log.kind, windows[position] as LeafWindow);
    found.set(range, leaves);
    const ofKind = byKind.get(range.log.kind);
    if (ofKind === undefined) byKind.set(range.log.kind, [...leaves]);
    else ofKind.push(...leaves);
  });
  const opened = new Map<FoundLeaf, LogRow>();
  for (const [kind, leaves] of byKind) {
    const rows = await store.rows(logTableOfKind(kind)).open(
      leaves.map((leaf) => leaf.stored),
      { once: true },
    );
    leaves.forEach((leaf, position) => opened.set(leaf, rows[position] as LogRow));
  }
  return ranges.map((range) =>
    (found.get(range) ?? []).map((leaf) => ({
      leafIndex: leaf.leafIndex,
      recordId: leaf.recordId,
      transition: leaf.transition,
      time: leaf.time,
      row: opened.get(leaf) as LogRow,
    })),
  );
}

/**
 * readLeaves of `ranges` cut into `parts` reads of about equal leaves, run at once and joined back
 * in order (the same answer as one read). Under ingest one read waits its turn at every statement,
 * on the event loop it shares with the ingest's requests and in the database; reads at once on
 * connections of their own overlap those waits. An embedded store answers them one after another.
 */
export async function readLeavesInParts(
  store: AuditStore,
  ranges: readonly LeafRange[],
  parts: number,
): Promise<FedLeaf[][]> {
  const total = ranges.reduce((sum, range) => sum + Math.max(0, range.end - range.start), 0);
  const perPart = Math.max(1, Math.ceil(total / Math.max(1, parts)));
  // Each part's pieces, and for each range the (part, piece) pairs that cover it in order.
  const pieces: LeafRange[][] = [[]];
  const covers: [number, number][][] = ranges.map(() => []);
  let room = perPart;
  ranges.forEach((range, position) => {
    for (let start = range.start; start < range.end;) {
      if (room === 0) {
        pieces.push([]);
        room = perPart;
      }
      const end = Math.min(range.end, start + room);
      const part = pieces[pieces.length - 1] as LeafRange[];
      part.push({ log: range.log, start, end });
      covers[position]?.push([pieces.length - 1, part.length - 1]);
      room -= end - start;
      start = end;
    }
  });
  const read = await Promise.all(pieces.map((part) => readLeaves(store, part)));
  return covers.map((pairs) => pairs.flatMap(([part, piece]) => read[part]?.[piece] ?? []));
}

/** A leaf with its record as stored (sealed) at that leaf. */
interface FoundLeaf extends Omit<FedLeaf, 'row'> {
  stored: LogRow;
}

/** The leaves of `window` whose record is stored, each with the record as it stood at the leaf. */
function foundLeaves(kind: string, { locations, rows }: LeafWindow): FoundLeaf[] {
  const table = logTableOfKind(kind);
  const found: FoundLeaf[] = [];
  for (const location of locations) {
    const record = rows.records.get(location.recordId);
    if (record === undefined) continue;
    const history = rows.histories.get(location.recordId);
    const stored =
      history === undefined
        ? record
        : stateAt(record as StoredCommunicationLog, history, location.transition);
    const changed = location.transition === 0 ? undefined : history?.[location.transition - 1];
    const time = changed?.changed_at ?? Number(record[table.timeColumn]);
    found.push({ ...location, time, stored: stored as unknown as LogRow });
  }
  return found;
}

/**
 * A communication log as it stood after its first `transitions` status transitions (0: as
 * inserted). A legacy prefix (transitions stored before tamper evidence) is part of the record's
 * own leaf, so it stays applied.
 */
function stateAt(
  current: StoredCommunicationLog,
  history: readonly StoredTransition[],
  transitions: number,
): StoredCommunicationLog {
  let row = initialState(current, history);
  for (let index = legacyPrefixLength(history); index < Math.min(transitions, history.length); index++) {
    row = applyTransition(row, history[index] as StoredTransition);
  }
  return row;
}
