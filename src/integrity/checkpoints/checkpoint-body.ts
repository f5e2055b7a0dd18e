/**
 * The body of a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the log's origin, the tree
 * size in decimal, the root hash in standard base64, each on a line of its own; a signed note
 * (signed-note.ts) carries it.
 */

/** A checkpoint as sealog signs it: which log, how many leaves, their root. */
export interface Checkpoint {
  origin: string;
  /** Leaves in the tree (0 or more). */
  size: number;
  /** The RFC 6962 root of those leaves (32 bytes). */
  root: Buffer;
  /**
   * The first leaf whose record may still be stored: every leaf before it was pruned by retention
   * (its hash stays in the tree). Written as the extension line `minimum-index N` when above 0.
   */
  minimumIndex?: number | undefined;
}

const MINIMUM_INDEX_LINE = /^minimum-index (0|[1-9][0-9]*)$/;

/** The checkpoint's text, ready to be signed. */
export function checkpointText({ origin, size, root, minimumIndex = 0 }: Checkpoint): string {
  if (origin === '' || /[\n\r]/.test(origin)) throw new Error(`not a log origin: ${JSON.stringify(origin)}`);
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`not a tree size: ${size}`);
  if (root.length !== 32) throw new RangeError(`a root is 32 bytes, not ${root.length}`);
  if (!Number.isSafeInteger(minimumIndex) || minimumIndex < 0 || minimumIndex > size) {
    throw new RangeError(`not a minimum index of a tree of ${size}: ${minimumIndex}`);
  }
  const extension = minimumIndex > 0 ? `minimum-index ${minimumIndex}\n` : '';
  return `${origin}\n${size}\n${root.toString('base64')}\n${extension}`;
}

/**
 * The checkpoint a note's text states; throws on a text that is not one. Of the extension lines
 * after the root (which the spec allows), `minimum-index N` is read; others are ignored.
 */
export function parseCheckpointText(text: string): Checkpoint {
  const [origin = '', sizeText = '', rootText = ''] = text.split('\n');
  if (origin === '' || !/^(0|[1-9][0-9]*)$/.test(sizeText))
    throw new Error('not a checkpoint: origin and size');
  const size = Number(sizeText);
  const root = Buffer.from(rootText, 'base64');
  if (!Number.isSafeInteger(size) || root.length !== 32 || root.toString('base64') !== rootText) {
    throw new Error('not a checkpoint: size or root');
  }
  const minimum = text
    .split('\n')
    .slice(3)
    .map((line) => MINIMUM_INDEX_LINE.exec(line)?.[1])
    .find((value) => value !== undefined);
  return minimum === undefined
    ? { origin, size, root }
    : { origin, size, root, minimumIndex: Number(minimum) };
}
