import { parseCheckpointText } from '../checkpoints/checkpoint-body.js';
import { openNote, type NoteVerifier } from '../checkpoints/signed-note.js';
import type { IntegrityLog } from '../integrity-log.js';
import type { LeafChecks } from '../leaves/leaf-checks.js';
import { HASH_BYTES, leafHashOfText } from '../merkle/rfc6962-hashing.js';
import { StringCompactRange } from '../merkle/string-compact-range.js';
import type { LogId, StoredCheckpoint } from '../sequencing/integrity-store.js';
import type { Finding } from './verify-findings.js';

/** What the verifier reads of a store. */
export type VerifySource = Pick<
  IntegrityLog,
  'logState' | 'readTiles' | 'listCheckpoints' | 'leafChecks' | 'prunedRanges'
>;

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
  /** The leaves whose record, or transition, is stored (see IntegrityLog.rowCounts). */
  rowsFound: { records: number; transitions: number };
  /** Leaves whose rows a retention purge removed: checked by their stored hashes only. */
  pruned: number;
}

/**
 * Leaves read per window. SQLite reads 1,024 as fast as 4,096. PostgreSQL finds a window's records
 * by their ids (pg-leaf-reader.ts): its planner looked up 1,024 ids by index but scanned the whole
 * claim table for 2,048 (1 million records), and the rows of a smaller window die young in
 * verify's heap instead of being collected from the old generation.
 */
const WINDOW = 1024;
const TILE_WIDTH = 256;
/** The hash a leaf counts as when neither its row nor its stored hash is left (binary string). */
const ZERO_HASH = '\u0000'.repeat(HASH_BYTES);

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
  // The log's name only: a LogStatus passed as `log` would put its size and root in every finding.
  const logName: LogId = { tenantId: log.tenantId, kind: log.kind };
  const found = (finding: Omit<Finding, 'tenantId' | 'kind'>) => findings.push({ ...logName, ...finding });
  const state = await source.logState(log);
  const storedNotes = await allCheckpoints(source, log);
  const stored = await signedHeads(storedNotes, verifiers, 'stored', found);
  /** The sizes of every stored checkpoint, signed or not (a bad signature is its own finding). */
  const storedSizes = new Set(storedNotes.map(({ note }) => noteSize(note)));
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
  const range = new StringCompactRange();
  const removed: Finding[] = [];
  const rowsFound = { records: 0, transitions: 0 };
  const prunedRanges = await source.prunedRanges(log);
  let nextRange = 0;
  let pruned = 0;
  /** Whether leaf `index` was pruned; asked in increasing order of index. */
  const isPruned = (index: number): boolean => {
    while ((prunedRanges[nextRange]?.[1] ?? Infinity) <= index) nextRange++;
    const range = prunedRanges[nextRange];
    return range !== undefined && range[0] <= index;
  };
  let leafFindings = 0;
  /** Finds leaf `index` (entry `at` of `checks`) edited: its stored row is not what it committed to. */
  const edited = (checks: LeafChecks, index: number, at: number, detail: string) => {
    leafFindings++;
    found({
      finding: 'edited',
      leafIndex: index,
      recordId: checks.recordId(at),
      transition: checks.transitions[at],
      detail,
    });
  };
  /** The checks and stored hashes of the window from `start`. */
  const readWindow = (start: number) => {
    const end = Math.min(state.assigned, start + WINDOW);
    const reading = Promise.all([
      source.leafChecks(log, start, end),
      storedLeafHashes(source, log, start, Math.min(end, state.treeSize)),
    ]);
    // Awaited in its turn; this only keeps a stop before then from leaving it unhandled.
    reading.catch(() => undefined);
    return reading;
  };
  // Each window is read while the one before is hashed: a database server (PostgreSQL) then
  // works beside verify rather than in turn with it.
  let next = state.assigned > 0 ? readWindow(0) : undefined;
  for (let start = 0; start < state.assigned; start += WINDOW) {
    const end = Math.min(state.assigned, start + WINDOW);
    const [checks, storedHashes] = await (next as NonNullable<typeof next>);
    next = end < state.assigned ? readWindow(end) : undefined;
    let position = 0;
    let nextDiffer = 0;
    for (let index = start; index < end; index++) {
      // Listed in leaf order: the leaf is the next entry, or its numbering row is gone.
      const at = checks.leafIndexes[position] === index ? position++ : -1;
      const text = at === -1 ? undefined : checks.texts[at];
      const refusal = at === -1 ? undefined : checks.refusals.get(at);
      if (text !== undefined || refusal !== undefined) {
        if (checks.transitions[at] === 0) rowsFound.records++;
        else rowsFound.transitions++;
      }
      let hash: string;
      if (text !== undefined) {
        hash = leafHashOfText(text);
        if (storedHashes.holds(index, hash) === false)
          edited(checks, index, at, 'the stored row no longer hashes to its leaf');
      } else if (refusal !== undefined) {
        edited(checks, index, at, `the stored row holds what no leaf can (${refusal})`);
        hash = storedHashes.at(index) ?? ZERO_HASH;
      } else if (isPruned(index)) {
        // Removed by retention on purpose: its hash stays in the tree, and the roots check it.
        pruned++;
        hash = storedHashes.at(index) ?? ZERO_HASH;
      } else {
        const transition = at === -1 ? undefined : checks.transitions[at];
        removed.push({
          ...logName,
          finding: 'removed',
          leafIndex: index,
          recordId: at === -1 ? undefined : checks.recordId(at),
          transition,
          detail:
            at === -1
              ? 'the leaf itself is gone'
              : `its ${transition === 0 ? 'record' : 'transition'} is not stored`,
        });
        hash = storedHashes.at(index) ?? ZERO_HASH;
      }
      if (at !== -1 && checks.currentDiffers[nextDiffer] === at) {
        nextDiffer++;
        leafFindings++;
        found({
          finding: 'edited',
          leafIndex: index,
          recordId: checks.recordId(at),
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
      // A checkpoint of the empty tree commits to no record: a store without it has lost nothing
      // (a log deleted whole shows as truncated by its later checkpoints).
      if (what === 'published' && size > 0 && !storedSizes.has(size)) {
        // Stored before it was published, and never deleted by sealog: taken out of the store.
        found({
          finding: 'removed',
          size,
          detail: `the store no longer holds its checkpoint of ${size} leaves, published as ${head.source}`,
        });
      }
      const root = size === 0 ? new StringCompactRange().root() : roots.get(size);
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
  return { findings, leaves: state.assigned, rowsFound, pruned };
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
      found({
        finding: 'bad-signature',
        size: noteSize(note),
        detail: `${source} (${what}) is not signed by a trusted key`,
      });
      continue;
    }
    const body = parseCheckpointText(text);
    heads.set(body.size, { root: body.root, source });
  }
  return Promise.resolve(heads);
}

/** The tree size a checkpoint note states (its second line), read without trusting it; undefined when none. */
function noteSize(note: string): number | undefined {
  const size = Number(note.split('\n')[1]);
  return Number.isSafeInteger(size) ? size : undefined;
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

/** The stored level-0 hashes of a window of leaves, as binary strings (rfc6962-hashing.ts). */
class StoredLeafHashes {
  /** Each tile's hashes as one binary string: compared in place, without a string a leaf. */
  private readonly tiles: (string | undefined)[];

  constructor(
    private readonly firstTile: number,
    tiles: readonly (Buffer | undefined)[],
    private readonly end: number,
  ) {
    this.tiles = tiles.map((tile) => tile?.toString('latin1'));
  }

  /** Whether the stored hash of leaf `index` is `hash`; undefined when there is none (see at). */
  holds(index: number, hash: string): boolean | undefined {
    const offset = this.offsetOf(index);
    return offset === undefined
      ? undefined
      : (this.tiles[this.tileOf(index)] as string).startsWith(hash, offset);
  }

  /** The stored hash of leaf `index`; undefined when not hashed yet or its tile is gone or short. */
  at(index: number): string | undefined {
    const offset = this.offsetOf(index);
    return offset === undefined
      ? undefined
      : this.tiles[this.tileOf(index)]?.slice(offset, offset + HASH_BYTES);
  }

  private tileOf(index: number): number {
    return Math.floor(index / TILE_WIDTH) - this.firstTile;
  }

  /** Where leaf `index`'s hash is in its tile's string; undefined when it is not stored. */
  private offsetOf(index: number): number | undefined {
    if (index >= this.end) return undefined;
    const tile = this.tiles[this.tileOf(index)];
    const offset = (index % TILE_WIDTH) * HASH_BYTES;
    return tile === undefined || offset + HASH_BYTES > tile.length ? undefined : offset;
  }
}

/** The stored level-0 tile hashes of leaves [start, end) (end ≤ the tree size). */
async function storedLeafHashes(
  source: VerifySource,
  log: LogId,
  start: number,
  end: number,
): Promise<StoredLeafHashes> {
  if (start >= end) return new StoredLeafHashes(0, [], 0);
  const first = Math.floor(start / TILE_WIDTH);
  const last = Math.floor((end - 1) / TILE_WIDTH);
  const addresses = Array.from({ length: last - first + 1 }, (_, offset) => ({
    level: 0,
    index: first + offset,
  }));
  return new StoredLeafHashes(first, await source.readTiles(log, addresses), end);
}
