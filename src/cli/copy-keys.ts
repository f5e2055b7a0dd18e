import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../config.js';
import type { RecordedMasterKey } from '../sealing/master-key-check.js';
import { GENERATED_DATA_KEYS_FILE, loadMasterKeys, type MasterKeys } from '../sealing/master-keys.js';
import { GENERATED_SIGNING_KEY_FILE } from '../integrity/checkpoints/signing-key.js';

/**
 * `sealog copy` refuses: the target could not serve the copy as it is (its keys, its logs). Exit
 * status 1, like a failed copy; the message says what to set or where to copy instead.
 */
export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

/** The master keys of a copy and where they came from, for messages. */
export interface CopyMasterKeys {
  keys: MasterKeys;
  /** `DATA_KEY`, or the generated file beside the source. */
  origin: string;
}

/**
 * The master keys that wrapped the source's subject keys, which the copy carries wrapped as they
 * are: DATA_KEY when set, else the generated `data-keys` file beside the source (read, never
 * created). Every key the source records must be among them with its fingerprint, since the
 * target's servers will need exactly these. The wrapping key of the result is one the source
 * recorded, so the copy records nothing new on the target. Throws CopyRefusedError.
 */
export function sourceMasterKeys(
  dataKey: string | undefined,
  sourcePath: string,
  recorded: readonly RecordedMasterKey[],
): CopyMasterKeys {
  const file = join(dirname(sourcePath), GENERATED_DATA_KEYS_FILE);
  const given = (dataKey?.trim() ?? '') !== '';
  const how = `set DATA_KEY to the source's master keys (the DATA_KEY its servers use, or the contents of ${file} when they generated it)`;
  if (!given && !existsSync(file)) {
    throw new CopyRefusedError(`the copy needs the master keys of the source's sealed fields: ${how}`);
  }
  let keys: MasterKeys;
  try {
    keys = loadMasterKeys(dataKey, dirname(sourcePath));
  } catch (error) {
    if (error instanceof ConfigError) throw new CopyRefusedError(`${error.message}; ${how}`);
    throw error;
  }
  const origin = given ? 'DATA_KEY' : file;
  for (const { id, fingerprint } of recorded) {
    const held = keys.fingerprint(id);
    if (held === undefined) {
      throw new CopyRefusedError(
        `${origin} does not hold master key "${id}", which wrapped the source's subject keys: ${how}`,
      );
    }
    if (held !== fingerprint) {
      throw new CopyRefusedError(
        `${origin} holds another key under the id "${id}" than the one that wrapped the source's subject keys (fingerprint ${fingerprint}): ${how}`,
      );
    }
  }
  const first = recorded[0];
  return { keys: first === undefined ? keys : keys.preferring(first.id), origin };
}

/**
 * Checks the master keys the target records already (from servers that ran on it) are among the
 * copy's: after the copy its servers need both the source's keys and its own, so they must be one
 * key list. Throws CopyRefusedError before anything is written otherwise.
 */
export function checkTargetMasterKeys(keys: CopyMasterKeys, recorded: readonly RecordedMasterKey[]): void {
  for (const { id, fingerprint } of recorded) {
    const held = keys.keys.fingerprint(id);
    if (held === fingerprint) continue;
    throw new CopyRefusedError(
      `the target records master key "${id}" (fingerprint ${fingerprint}), which ${keys.origin} ` +
        (held === undefined ? 'does not hold' : 'holds another key under that id than') +
        ': its sealed fields are under other keys than the source’s. Copy into a database or schema of its own, ' +
        'or set DATA_KEY to both key lists (the source’s first, then the target’s) and give the target’s servers the same',
    );
  }
}

/** What the target's servers must be given for what was copied to open and verify, for the summary. */
export function settingsToCarry(sourcePath: string, keys: CopyMasterKeys): string {
  const signing = join(dirname(sourcePath), GENERATED_SIGNING_KEY_FILE);
  const dataKey =
    keys.origin === 'DATA_KEY' ? 'the DATA_KEY given to this copy' : `the contents of ${keys.origin}`;
  const signingKey = existsSync(signing)
    ? `${signing}, unless the source's servers were given another SIGNING_KEY`
    : 'the SIGNING_KEY of the source’s servers';
  return (
    `the target's servers need the source's keys: DATA_KEY = ${dataKey}; SIGNING_KEY = ${signingKey} ` +
    '(the origin is recorded in the store: INTEGRITY_ORIGIN may stay unset)\n'
  );
}
