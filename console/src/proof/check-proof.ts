/**
 * The drawer's proof check, entirely in the browser: fetch the record's inclusion proof and the
 * tenant's verifier key, then (1) open the checkpoint note with that key (Ed25519), (2) read the
 * checkpoint's origin, size and root, (3) hash the leaf and walk the proof up to the root, (4)
 * check that the leaf is this record's. Loaded lazily with the drawer's proof panel.
 */
import { ApiError, getFlat } from '../api/http';
import type { InclusionAnswer, LogItem, VerifierKeyAnswer } from '../api/types';
import type { MessageId } from '../i18n/en-us';
import type { KindSpec } from '../kinds';
import { fromBase64, sameBytes } from './bytes';
import { Ed25519UnavailableError } from './ed25519';
import { matchLeaf } from './leaf-match';
import { leafHash, rootFromInclusionProof } from './merkle';
import { openNote, parseCheckpoint, parseVerifierKey } from './signed-note';

/** A failure's message id and its placeholders' values. */
export interface FailureReason {
  id: MessageId;
  values?: Record<string, string | number>;
}

export type ProofOutcome =
  | {
      state: 'verified';
      leafIndex: number;
      size: number;
      origin: string;
      /** Leaf fields compared with the record. */
      compared: number;
      checkedAt: Date;
    }
  | { state: 'failed'; reason: FailureReason }
  | { state: 'pending' };

const failed = (id: MessageId, values?: Record<string, string | number>): ProofOutcome => ({
  state: 'failed',
  reason: values === undefined ? { id } : { id, values },
});

/** Checks that `item` of `spec.kind` is in its tenant's log under a checkpoint the tenant's key signed. */
export async function checkProof(spec: KindSpec, item: LogItem): Promise<ProofOutcome> {
  const tenant = { tenant_id: item.tenant_id };
  let inclusion: InclusionAnswer;
  let key: VerifierKeyAnswer;
  try {
    [inclusion, key] = await Promise.all([
      getFlat<InclusionAnswer>(`/v1/integrity/${spec.kind}/inclusion`, { ...tenant, id: item.id }),
      getFlat<VerifierKeyAnswer>(`/v1/integrity/${spec.kind}/key`, tenant),
    ]);
  } catch (error) {
    // 409: the record is in the log but no checkpoint covers it yet.
    if (error instanceof ApiError && error.status === 409) return { state: 'pending' };
    return failed('reason.request', { message: error instanceof Error ? error.message : String(error) });
  }
  try {
    return await checkAnswers(spec, item, inclusion, key);
  } catch (error) {
    if (error instanceof Ed25519UnavailableError) return failed('reason.ed25519');
    throw error;
  }
}

async function checkAnswers(
  spec: KindSpec,
  item: LogItem,
  inclusion: InclusionAnswer,
  key: VerifierKeyAnswer,
): Promise<ProofOutcome> {
  const verifier = await parseVerifierKey(key.verifier_key);
  if (verifier === undefined) return failed('reason.key');
  const opened = await openNote(inclusion.checkpoint, verifier);
  if ('failure' in opened) return failed(`reason.${opened.failure}`);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint === undefined) return failed('reason.note');
  // The key names the log it signs for; a checkpoint of another log proves nothing here.
  if (checkpoint.origin !== key.origin || checkpoint.origin !== verifier.name) {
    return failed('reason.origin', { origin: checkpoint.origin, expected: key.origin });
  }
  if (checkpoint.size !== inclusion.tree_size) {
    return failed('reason.size', { proofSize: inclusion.tree_size, size: checkpoint.size });
  }
  let leaf: Uint8Array;
  let proof: Uint8Array[];
  try {
    leaf = fromBase64(inclusion.leaf);
    proof = inclusion.proof.map(fromBase64);
  } catch {
    return failed('reason.root');
  }
  const root = await rootFromInclusionProof(
    inclusion.leaf_index,
    checkpoint.size,
    await leafHash(leaf),
    proof,
  );
  if (root === undefined || !sameBytes(root, checkpoint.root)) return failed('reason.root');
  const match = matchLeaf(new TextDecoder('utf-8', { fatal: false }).decode(leaf), item, spec);
  if ('json' in match) return failed('reason.leaf-json');
  if (!match.matches) return failed('reason.leaf', { field: match.field });
  return {
    state: 'verified',
    leafIndex: inclusion.leaf_index,
    size: checkpoint.size,
    origin: checkpoint.origin,
    compared: match.compared,
    checkedAt: new Date(),
  };
}
