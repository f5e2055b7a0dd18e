import type { LogId } from '../sequencing/integrity-store.js';

/**
 * What `sealog verify` can find wrong with a log:
 * - `edited`: a record (or its current state, or the tree) differs from what its leaf committed to;
 * - `removed`: a leaf whose record is gone, or a published checkpoint the store no longer holds;
 * - `inserted`: a record that is in no leaf;
 * - `truncated`: fewer leaves than a checkpoint (stored or published) covers, or than the stored rows
 *   numbered in leaves (the log's state deleted or set back);
 * - `forked`: a stored checkpoint that contradicts a published one;
 * - `bad-signature`: a checkpoint not signed by a trusted key.
 */
export type FindingKind = 'edited' | 'removed' | 'inserted' | 'truncated' | 'forked' | 'bad-signature';

/** One thing found, named so that an operator can go and look. */
export interface Finding extends LogId {
  finding: FindingKind;
  /** The record concerned, where known. */
  recordId?: string | undefined;
  /** Its transition number, for a communication log's status transition. */
  transition?: number | undefined;
  leafIndex?: number | undefined;
  /** The tree size of the checkpoint concerned. */
  size?: number | undefined;
  detail: string;
}

/** One line of human output for `finding`. */
export function describeFinding(finding: Finding): string {
  const where = [
    `tenant ${JSON.stringify(finding.tenantId)}`,
    finding.kind,
    ...(finding.recordId === undefined ? [] : [`id ${finding.recordId}`]),
    ...(finding.transition === undefined || finding.transition === 0
      ? []
      : [`transition ${finding.transition}`]),
    ...(finding.leafIndex === undefined ? [] : [`leaf ${finding.leafIndex}`]),
    ...(finding.size === undefined ? [] : [`checkpoint size ${finding.size}`]),
  ];
  return `${finding.finding.toUpperCase()} ${where.join(', ')}: ${finding.detail}`;
}
