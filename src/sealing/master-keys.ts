import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';
import { readOrCreateSecretFile } from '../domain/secret-file.js';

/**
 * Master keys (`DATA_KEY`): the keys that wrap every subject key at rest. The first configured key
 * wraps new subject keys; every configured key unwraps, so a master key is rotated by putting a new
 * one first and keeping the old ones after it until every subject key has been rewrapped.
 */

/** File, inside the data directory, holding the master key generated when DATA_KEY is unset. */
export const GENERATED_DATA_KEYS_FILE = 'data-keys';
/** What a master key id may be: 1 to 32 of A–Z, a–z, 0–9, `_`, `-`. */
export const MASTER_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Bytes of a master key and of a subject key (AES-256). */
export const KEY_BYTES = 32;

const VARIABLE = 'DATA_KEY';
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const AD_LABEL = 'sealog-subject-key/1';
const FINGERPRINT_LABEL = 'sealog-master-key-fingerprint/1';
const TEXT_AD_LABEL = 'sealog-sealed-text/1';
/** Standard base64 of 32 bytes: 43 characters, the last carrying 2 spare zero bits, then `=`. */
const KEY_BASE64_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=?$/;
/** A value starting `id:` is a key list; anything else (`/etc/…`, `./keys`) names a file. */
const KEY_LIST_START = /^[A-Za-z0-9_-]{1,32}:/;

/** A subject key as kept at rest: which master key wrapped it and the wrapping's base64 text. */
export interface WrappedKey {
  readonly master_key_id: string;
  /** base64(nonce12 ‖ ciphertext32 ‖ tag16): 80 characters. */
  readonly wrapped: string;
}

/** Whose subject key is wrapped; bound into the associated data so it cannot be moved. */
export interface SubjectKeyOwner {
  readonly tenantId: string;
  readonly subject: string;
  readonly keyId: string;
}

/** A stored subject key that the configured master keys cannot unwrap (altered, or another key). */
export class WrappedKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WrappedKeyError';
  }
}

/** The configured master keys. Build with loadMasterKeys or parseMasterKeys. */
export class MasterKeys {
  private readonly keys: ReadonlyMap<string, KeyObject>;
  /** The id of the key that wraps new subject keys (the first configured). */
  readonly wrappingKeyId: string;

  /**
   * @param entries master key ids and 32-byte keys, the wrapping key first (at least one).
   * @param generatedFile where the keys were generated, when DATA_KEY was unset.
   */
  constructor(
    entries: ReadonlyArray<readonly [string, KeyObject]>,
    readonly generatedFile?: string,
  ) {
    const first = entries[0];
    if (first === undefined) throw new ConfigError(VARIABLE, 'holds no key');
    this.keys = new Map(entries);
    this.wrappingKeyId = first[0];
  }

  /** Every configured id, the wrapping one first: what the store records as in use. */
  get ids(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * A public fingerprint of master key `id` (16 hex digits of a labelled SHA-256 of the key): the
   * store records it beside the id, so that a process configured with another key under the same
   * id is refused before it fails to unwrap. Undefined for an id not configured.
   */
  fingerprint(id: string): string | undefined {
    const key = this.keys.get(id);
    if (key === undefined) return undefined;
    return createHash('sha256').update(FINGERPRINT_LABEL).update(key.export()).digest('hex').slice(0, 16);
  }

  /**
   * The same keys with `id` (one of them) as the wrapping key: for a process that wraps nothing
   * itself (`sealog copy`), so that the key it records in a store is one already in use.
   */
  preferring(id: string): MasterKeys {
    const key = this.keys.get(id);
    if (key === undefined) throw new RangeError(`no master key ${id}`);
    return new MasterKeys(
      [[id, key], ...[...this.keys].filter(([other]) => other !== id)],
      this.generatedFile,
    );
  }

  /** Wraps a 32-byte subject key for `owner` under the wrapping master key. */
  wrap(owner: SubjectKeyOwner, subjectKey: KeyObject): WrappedKey {
    const master = this.keys.get(this.wrappingKeyId);
    if (master === undefined) throw new ConfigError(VARIABLE, 'lost its wrapping key');
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, master, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(wrapAssociatedData(owner));
    const raw = subjectKey.export();
    const body = Buffer.concat([cipher.update(raw), cipher.final()]);
    raw.fill(0);
    const wrapped = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
    return { master_key_id: this.wrappingKeyId, wrapped };
  }

  /**
   * Unwraps a stored subject key of `owner`. Throws ConfigError when DATA_KEY lacks the master key
   * that wrapped it, WrappedKeyError when the wrapping fails authentication (altered, moved to
   * another tenant, subject or key id, or a different key configured under the same id).
   */
  unwrap(owner: SubjectKeyOwner, stored: WrappedKey): KeyObject {
    const master = this.keys.get(stored.master_key_id);
    if (master === undefined) {
      throw new ConfigError(
        VARIABLE,
        `does not hold master key "${stored.master_key_id}", which wrapped stored subject keys: set DATA_KEY to include key ${stored.master_key_id} (after the current key)`,
      );
    }
    const sealed = Buffer.from(stored.wrapped, 'base64');
    const described = `subject key ${owner.keyId} of tenant ${JSON.stringify(owner.tenantId)}`;
    if (sealed.length !== NONCE_BYTES + KEY_BYTES + TAG_BYTES) {
      throw new WrappedKeyError(`${described} is not a wrapped 32-byte key`);
    }
    const decipher = createDecipheriv(ALGORITHM, master, sealed.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(wrapAssociatedData(owner));
    decipher.setAuthTag(sealed.subarray(NONCE_BYTES + KEY_BYTES));
    const raw = decipher.update(sealed.subarray(NONCE_BYTES, NONCE_BYTES + KEY_BYTES));
    try {
      decipher.final();
    } catch {
      raw.fill(0);
      throw new WrappedKeyError(
        `${described} does not unwrap with master key "${stored.master_key_id}": DATA_KEY holds a different key under that id, or the stored key was altered`,
      );
    }
    const key = createSecretKey(raw);
    raw.fill(0);
    return key;
  }

  /**
   * Seals a short secret text (a stream's receiver credentials) under the wrapping master key,
   * bound to `context` (what it belongs to: it cannot be moved to another owner). The result,
   * `<master key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, is what the store keeps.
   */
  sealText(context: readonly string[], text: string): string {
    const master = this.keys.get(this.wrappingKeyId);
    if (master === undefined) throw new ConfigError(VARIABLE, 'lost its wrapping key');
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, master, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(textAssociatedData(context));
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${this.wrappingKeyId}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  /**
   * Opens what sealText sealed for `context`. Throws ConfigError when DATA_KEY lacks its master
   * key, WrappedKeyError when it fails authentication (altered, moved, or another key).
   */
  openText(context: readonly string[], sealed: string): string {
    const colon = sealed.indexOf(':');
    const id = sealed.slice(0, colon);
    const master = colon > 0 ? this.keys.get(id) : undefined;
    if (master === undefined) {
      throw new ConfigError(
        VARIABLE,
        `does not hold master key "${id}", which sealed stored secrets: set DATA_KEY to include key ${id} (after the current key)`,
      );
    }
    const bytes = Buffer.from(sealed.slice(colon + 1), 'base64');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new WrappedKeyError('a sealed secret is truncated');
    const decipher = createDecipheriv(ALGORITHM, master, bytes.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(textAssociatedData(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const text = decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([text, decipher.final()]).toString('utf8');
    } catch {
      throw new WrappedKeyError(
        `a sealed secret does not open with master key "${id}": DATA_KEY holds a different key under that id, or it was altered`,
      );
    }
  }
}

function textAssociatedData(context: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify([TEXT_AD_LABEL, ...context]), 'utf8');
}

function wrapAssociatedData(owner: SubjectKeyOwner): Buffer {
  return Buffer.from(JSON.stringify([AD_LABEL, owner.tenantId, owner.subject, owner.keyId]), 'utf8');
}

/**
 * Parses key-list text: `id:base64(32 bytes)` entries separated by commas or whitespace, the
 * wrapping key first. `source` names where the text came from in error messages (never the keys).
 */
export function parseMasterKeys(text: string, source: string, generatedFile?: string): MasterKeys {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(VARIABLE, `(${source}) holds no key`);
  const keys = new Map<string, KeyObject>();
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1);
    if (colon < 0 || !MASTER_KEY_ID_PATTERN.test(id) || !KEY_BASE64_PATTERN.test(material)) {
      throw new ConfigError(
        VARIABLE,
        `(${source}) key ${index + 1} must be id:base64 of 32 bytes, the id 1–32 of A–Z a–z 0–9 _ - (e.g. k1:$(openssl rand -base64 32))`,
      );
    }
    if (keys.has(id)) throw new ConfigError(VARIABLE, `(${source}) names key ${id} twice`);
    keys.set(id, createSecretKey(Buffer.from(material, 'base64')));
  });
  return new MasterKeys([...keys], generatedFile);
}

/**
 * The master keys configured by `dataKey` (DATA_KEY: a key list, or the path of a file holding
 * one); unset or '' → the keys of `<dataDir>/data-keys`, created with one random key (mode 0600)
 * on first use. Reads files synchronously: called once at start-up. Throws ConfigError.
 */
export function loadMasterKeys(dataKey: string | undefined, dataDir: string): MasterKeys {
  const value = dataKey?.trim() ?? '';
  if (value === '') {
    const file = join(dataDir, GENERATED_DATA_KEYS_FILE);
    return parseMasterKeys(loadOrCreateKeyFile(file), `generated file ${file}`, file);
  }
  if (KEY_LIST_START.test(value)) return parseMasterKeys(value, 'value');
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new ConfigError(
      VARIABLE,
      `names file ${value}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): set DATA_KEY to id:base64(32 bytes)[,…] or to a readable file holding that`,
    );
  }
  return parseMasterKeys(text, `file ${value}`);
}

/**
 * One random master key held in memory only, for a store that lives in memory too (`:memory:`):
 * nothing it seals outlives the process, so there is nothing to keep the key for.
 */
export function ephemeralMasterKeys(): MasterKeys {
  return new MasterKeys([['ephemeral', createSecretKey(randomBytes(KEY_BYTES))]]);
}

/** A master key id unlikely to repeat on another host, so that two generated keys are told apart. */
function generatedKeyId(): string {
  return `gen-${randomBytes(6).toString('hex')}`;
}

/**
 * Reads `file`, or creates it holding one new key. The key is written to a private temporary file,
 * flushed, then linked into place: link() fails when the file exists, so two processes starting
 * together agree on one key and neither ever reads a half-written file. Losing this file loses
 * every sealed value, hence the fsyncs.
 */
function loadOrCreateKeyFile(file: string): string {
  return readOrCreateSecretFile(
    file,
    () => `${generatedKeyId()}:${randomBytes(KEY_BYTES).toString('base64')}\n`,
  );
}
