/**
 * The rule that sealog never signs two checkpoints of one log that are inconsistent with each
 * other (docs/design §6): a checkpoint may only extend the latest one signed, as an RFC 9162
 * consistency proof computed from the log's tiles shows. A log that signed a fork would be caught
 * by any monitor holding both notes, and sealog would have no honest answer; refusing is the only
 * safe move, and the caller raises the alarm.
 */
import { consistencyProof, rootHash, type SubtreeHashes } from '../merkle/merkle-proofs.js';
import { verifyConsistency } from '../merkle/proof-verification.js';
import { EMPTY_ROOT, HASH_BYTES } from '../merkle/rfc6962-hashing.js';

/** A tree size and its root, as a checkpoint states them. */
export interface TreeHead {
  /** Leaves (≥ 0). */
  size: number;
  /** RFC 6962 root (32 bytes). */
  root: Buffer;
}

/**
 * Why a candidate checkpoint is refused:
 * - `shrink`: it states fewer leaves than the latest signed (a truncated log);
 * - `same-size-other-root`: as many leaves as the latest, another root (a fork);
 * - `root-not-in-tree`: its root is not the one the tiles give for its size (the root to sign
 *   and the stored tree disagree);
 * - `not-an-extension`: the tiles' consistency proof from the latest to it does not verify (the
 *   latest signed tree is not a prefix of the tree to sign: a fork, or altered tiles).
 */
export type CheckpointRefusalReason =
  'shrink' | 'same-size-other-root' | 'root-not-in-tree' | 'not-an-extension';

/** The guard's answer: sign, or refuse for a reason (with a sentence for logs and alarms). */
export type CheckpointVerdict =
  { accepted: true } | { accepted: false; reason: CheckpointRefusalReason; message: string };

/**
 * May `candidate` be signed after `latest` (undefined: nothing signed yet for the log)? Accepts
 * when candidate.size ≥ latest.size, the roots are equal at equal sizes, candidate.root is the root
 * `tree` gives for its size, and a consistency proof latest → candidate computed from `tree`
 * verifies against both roots (RFC 9162 §2.1.4.2). A latest of size 0 must state the empty root.
 * A candidate equal to latest is accepted without reading `tree` (re-signing it changes nothing).
 * Throws RangeError on a malformed head, and whatever `tree` throws (e.g. tiles short of
 * candidate.size): those are failures to decide, not verdicts.
 */
export async function checkCheckpoint(
  latest: TreeHead | undefined,
  candidate: TreeHead,
  tree: SubtreeHashes,
): Promise<CheckpointVerdict> {
  for (const head of latest === undefined ? [candidate] : [latest, candidate]) {
    if (!Number.isSafeInteger(head.size) || head.size < 0 || head.root.length !== HASH_BYTES) {
      throw new RangeError(`not a tree head: size ${head.size}, root of ${head.root.length} bytes`);
    }
  }
  const [m, n] = [latest?.size ?? 0, candidate.size];
  const at = `${m} → ${n} leaves`;
  if (n < m) return refuse('shrink', `the log would shrink (${at})`);
  if (latest !== undefined && n === m) {
    return latest.root.equals(candidate.root)
      ? { accepted: true }
      : refuse('same-size-other-root', `two roots for ${n} leaves`);
  }
  if (!(await rootHash(tree, n)).equals(candidate.root)) {
    return refuse('root-not-in-tree', `the root to sign for ${n} leaves is not the stored tree's`);
  }
  if (latest === undefined) return { accepted: true };
  const extends_ =
    m === 0
      ? latest.root.equals(EMPTY_ROOT)
      : verifyConsistency(m, n, latest.root, candidate.root, await consistencyProof(tree, m, n));
  return extends_
    ? { accepted: true }
    : refuse('not-an-extension', `the latest checkpoint is not a prefix of the tree to sign (${at})`);
}

function refuse(reason: CheckpointRefusalReason, message: string): CheckpointVerdict {
  return { accepted: false, reason, message };
}
