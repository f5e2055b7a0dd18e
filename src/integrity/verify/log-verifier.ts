import { parseCheckpointText } from '../checkpoints/checkpoint-body.js';
import { openNote, type NoteVerifier } from '../checkpoints/signed-note.js';
import type { IntegrityLog } from '../integrity-log.js';
import { checkLeaves, type LeafWindow } from '../leaves/leaf-builder.js';
import { CompactRange } from '../merkle/compact-range.js';
import { HASH_BYTES, leafHash } from '../merkle/rfc6962-hashing.js';
import type { LogId, StoredCheckpoint } from '../sequencing/integrity-store.js';
import type { Finding } from './verify-findings.js';

/** What the verifier reads of a store: IntegrityLog, with leaf windows that never throw for a gap. */
export interface VerifySource extends Pick<IntegrityLog, 'logState' | 'readTiles' | 'listCheckpoints'> {
  /** The leaves numbered in [start, end) and their rows; a leaf deleted is simply not listed. */
  leafWindow(log: LogId, start: number, end: number): Promise<LeafWindow>;
}

/** A checkpoint as found outside the store (CHECKPOINT_DIR), to compare the store with. */
export interface PublishedCheckpoint {
  note: string;
  /** Where it was found, for messages. */
  source: string;
}

/** What verifying one log found, and how much it read. */
export interface LogVerification {
  findings: Finding[];
  leaves: number;
}

/** Leaves read per window. */
const WINDOW = 4096;
const TILE_WIDTH = 256;

/**
 * Verifies one log: the signatures of its stored and published checkpoints (against `verifiers`,
 * the keys trusted for it), every leaf recomputed from the stored rows against the stored tree,
 * every root at a checkpoint's size against the checkpoint, and published against stored
 * checkpoints. `onLeaves` hears of progress (leaves read).
 */
export async function verifyLog(
  source: VerifySource,
  log: LogId,
  verifiers: readonly NoteVerifier[],
  published: readonly PublishedCheckpoint[],
  onLeaves: (count: number) => void = () => undefined,
): Promise<LogVerification> {
  const findings: Finding[] = [];
  const found = (finding: Omit<Finding, 'tenantId' | 'kind'>) => findings.push({ ...log, ...finding });
  const state = await source.logState(log);
  const stored = await signedHeads(await allCheckpoints(source, log), verifiers, 'stored', found);
  const outside = await signedHeads(
    published.map((copy) => ({ note: copy.note, source: copy.source })),
    verifiers,
    'published',
    found,
  );
  for (const [size, head] of outside) {
    const mine = stored.get(size);
    if (mine !== undefined && !mine.root.equals(head.root)) {
      found({
        finding: 'forked',
        size,
        detail: `the stored checkpoint states another root than ${head.source}`,
      });
    }
  }

  // Leaves, recomputed from the rows, against the stored tree; roots at every checkpoint's size.
  const wanted = new Set([...stored.keys(), ...outside.keys(), state.treeSize]);
  const roots = new Map<number, Buffer>();
  const range = new CompactRange();
  const removed: Finding[] = [];
  let leafFindings = 0;
  for (let start = 0; start < state.assigned; start += WINDOW) {
    const end = Math.min(state.assigned, start + WINDOW);
    const window = await source.leafWindow(log, start, end);
    const checks = new Map(
      checkLeaves(log.kind, window.locations, window.rows).map((check) => [check.location.leafIndex, check]),
    );
    const storedHashes = await storedLeafHashes(source, log, start, Math.min(end, state.treeSize));
    for (let index = start; index < end; index++) {
      const check = checks.get(index);
      const storedHash = storedHashes.get(index);
      let hash: Buffer;
      if (check?.bytes === undefined) {
        const recordId = check?.location.recordId;
        removed.push({
          ...log,
          finding: 'removed',
          leafIndex: index,
          recordId,
          transition: check?.location.transition,
          detail:
            check === undefined
              ? 'the leaf itself is gone'
              : `its ${check.location.transition === 0 ? 'record' : 'transition'} is not stored`,
        });
        hash = storedHash ?? Buffer.alloc(HASH_BYTES);
      } else {
        hash = leafHash(check.bytes);
        if (storedHash !== undefined && !storedHash.equals(hash)) {
          leafFindings++;
          found({
            finding: 'edited',
            leafIndex: index,
            recordId: check.location.recordId,
            transition: check.location.transition,
            detail: 'the stored row no longer hashes to its leaf',
          });
        }
      }
      if (check?.currentDiffers === true) {
        leafFindings++;
        found({
          finding: 'edited',
          leafIndex: index,
          recordId: check.location.recordId,
          detail: 'its current delivery state is not what its recorded transitions give',
        });
      }
      range.append(hash);
      if (wanted.has(range.size)) roots.set(range.size, range.root());
    }
    onLeaves(end - start);
  }
  // A run of removed leaves up to the end is the log cut short.
  let cut = removed.length;
  while (cut > 0 && removed[cut - 1]?.leafIndex === state.assigned - (removed.length - cut) - 1) cut--;
  findings.push(...removed.slice(0, cut));
  if (cut < removed.length) {
    const first = removed[cut]?.leafIndex ?? 0;
    found({
      finding: 'truncated',
      leafIndex: first,
      detail: `the rows of leaves ${first}…${state.assigned - 1} are gone: the log ends at leaf ${first}`,
    });
  }
  leafFindings += removed.length;

  for (const [what, heads] of [
    ['stored', stored],
    ['published', outside],
  ] as const) {
    for (const [size, head] of heads) {
      if (size > state.assigned) {
        found({
          finding: 'truncated',
          size,
          detail: `a ${what} checkpoint (${head.source}) covers ${size} leaves; the store has ${state.assigned}`,
        });
        continue;
      }
      const root = size === 0 ? new CompactRange().root() : roots.get(size);
      if (root !== undefined && !root.equals(head.root) && leafFindings === 0) {
        found({
          finding: what === 'stored' ? 'edited' : 'forked',
          size,
          detail: `the leaves as stored do not give the root of the ${what} checkpoint (${head.source})`,
        });
      }
    }
  }
  const treeRoot = roots.get(state.treeSize);
  if (treeRoot !== undefined && state.treeSize > 0 && !treeRoot.equals(state.root) && leafFindings === 0) {
    found({
      finding: 'edited',
      size: state.treeSize,
      detail: 'the stored tree root is not the root of the leaves',
    });
  }
  return { findings, leaves: state.assigned };
}

/** Every stored checkpoint of `log`, oldest first. */
async function allCheckpoints(source: VerifySource, log: LogId): Promise<{ note: string; source: string }[]> {
  const all: StoredCheckpoint[] = [];
  for (;;) {
    const page = await source.listCheckpoints(log, all[all.length - 1]?.size ?? -1, 1000);
    all.push(...page);
    if (page.length < 1000) break;
  }
  return all.map((checkpoint) => ({ note: checkpoint.note, source: `stored checkpoint ${checkpoint.size}` }));
}

/** The heads (size → root) of the notes that a trusted key signed; the others are findings. */
async function signedHeads(
  notes: readonly { note: string; source: string }[],
  verifiers: readonly NoteVerifier[],
  what: 'stored' | 'published',
  found: (finding: Omit<Finding, 'tenantId' | 'kind'>) => void,
): Promise<Map<number, { root: Buffer; source: string }>> {
  const heads = new Map<number, { root: Buffer; source: string }>();
  for (const { note, source } of notes) {
    const text = opened(note, verifiers);
    if (text === undefined) {
      const size = Number(note.split('\n')[1]);
      found({
        finding: 'bad-signature',
        size: Number.isSafeInteger(size) ? size : undefined,
        detail: `${source} (${what}) is not signed by a trusted key`,
      });
      continue;
    }
    const body = parseCheckpointText(text);
    heads.set(body.size, { root: body.root, source });
  }
  return Promise.resolve(heads);
}

function opened(note: string, verifiers: readonly NoteVerifier[]): string | undefined {
  for (const verifier of verifiers) {
    try {
      return openNote(note, verifier);
    } catch {
      // Not this key's signature (or not a valid one): try the next trusted key.
    }
  }
  return undefined;
}

/** The stored level-0 tile hashes of leaves [start, end) (end ≤ the tree size). */
async function storedLeafHashes(
  source: VerifySource,
  log: LogId,
  start: number,
  end: number,
): Promise<Map<number, Buffer>> {
  const hashes = new Map<number, Buffer>();
  if (start >= end) return hashes;
  const first = Math.floor(start / TILE_WIDTH);
  const last = Math.floor((end - 1) / TILE_WIDTH);
  const addresses = Array.from({ length: last - first + 1 }, (_, offset) => ({
    level: 0,
    index: first + offset,
  }));
  const tiles = await source.readTiles(log, addresses);
  tiles.forEach((tile, offset) => {
    if (tile === undefined) return;
    const base = (first + offset) * TILE_WIDTH;
    for (let entry = 0; entry * HASH_BYTES < tile.length; entry++) {
      const index = base + entry;
      if (index >= start && index < end) {
        hashes.set(index, tile.subarray(entry * HASH_BYTES, (entry + 1) * HASH_BYTES));
      }
    }
  });
  return hashes;
}
