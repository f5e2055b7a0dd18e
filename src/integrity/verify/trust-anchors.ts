import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logDirectory, VERIFIER_KEY_FILE } from '../checkpoints/checkpoint-directory.js';
import { noteKeyId, parseVerifierKey, type NoteVerifier } from '../checkpoints/signed-note.js';
import type { PublishedCheckpoint } from './log-verifier.js';

/** What `sealog verify` trusts for one log, and the copies of its checkpoints found outside the store. */
export interface LogAnchors {
  verifiers: NoteVerifier[];
  published: PublishedCheckpoint[];
  /** Where the keys come from, for the report: `published` copies, the command line, or the store itself. */
  keySource: 'published' | 'given' | 'store';
}

/**
 * The keys trusted for the log of `origin` and its published checkpoints: the `key.vkey` of its
 * directory under `checkpointDir` first, then keys given on the command line for this origin,
 * else the key the store records (which someone able to rewrite the store can replace too).
 */
export async function anchorsOf(
  origin: string,
  checkpointDir: string | undefined,
  givenKeys: readonly NoteVerifier[],
  storeKey: Buffer | undefined,
): Promise<LogAnchors> {
  const published: PublishedCheckpoint[] = [];
  let fromDirectory: NoteVerifier | undefined;
  if (checkpointDir !== undefined) {
    const directory = logDirectory(checkpointDir, origin);
    let names: string[] = [];
    try {
      names = await readdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const name of names.sort()) {
      const file = join(directory, name);
      if (name === VERIFIER_KEY_FILE) fromDirectory = parseVerifierKey((await readFile(file, 'utf8')).trim());
      else if (name.endsWith('.checkpoint'))
        published.push({ note: await readFile(file, 'utf8'), source: file });
    }
  }
  if (fromDirectory !== undefined) return { verifiers: [fromDirectory], published, keySource: 'published' };
  const given = givenKeys.filter((key) => key.name === origin);
  if (given.length > 0) return { verifiers: given, published, keySource: 'given' };
  const stored =
    storeKey === undefined ? [] : [{ name: origin, publicKey: storeKey, keyId: noteKeyId(origin, storeKey) }];
  return { verifiers: stored, published, keySource: 'store' };
}
