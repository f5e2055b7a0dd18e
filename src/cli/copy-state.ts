import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { LOG_TABLES } from '../kinds/log-tables.js';
import type { ExportKey } from '../storage/sqlite/sqlite-export.js';
import { UsageError } from './settings-options.js';

/**
 * How far an interrupted `sealog copy` got: per table, the key of the last row of the last
 * committed batch. Rows up to and including that key are in the target; the copy resumes after it.
 */
export interface CopyState {
  version: 1;
  /** Absolute path of the source file. */
  source: string;
  /** The target URL without its password (see withoutPassword). */
  target: string;
  after: Partial<Record<string, ExportKey>>;
}

/** The state to continue from, and a note for the user when an existing state file was set aside. */
export interface LoadedCopyState {
  state: CopyState;
  note: string | undefined;
}

/**
 * Reads the state file for a copy of `source` into `target` (both as stored: absolute path and
 * URL without password). A missing file, or one recording another source or target, starts over.
 * Throws UsageError when the file exists but is not a copy state, rather than guessing.
 */
export function loadCopyState(file: string, source: string, target: string): LoadedCopyState {
  const fresh = freshCopyState(source, target);
  if (!existsSync(file)) return { state: fresh, note: undefined };
  let saved: CopyState;
  try {
    saved = parseCopyState(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `${file} is not a sealog copy state file (${(error as Error).message}): delete it or pass --restart`,
    );
  }
  if (saved.source !== source || saved.target !== target) {
    const was = saved.source === source ? saved.target : `${saved.source} → ${saved.target}`;
    return {
      state: fresh,
      note: `${file} records a copy ${saved.source === source ? 'into' : 'of'} ${was}; starting over for this one`,
    };
  }
  return { state: saved, note: undefined };
}

/** The state of a copy that has not copied anything yet. */
export function freshCopyState(source: string, target: string): CopyState {
  return { version: 1, source, target, after: {} };
}

/**
 * Replaces the state file atomically: written and synced beside it, then renamed over it, so a
 * crash leaves either the previous checkpoint or this one, never a torn file.
 */
export function saveCopyState(file: string, state: CopyState): void {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/** Deletes the state file (and a leftover temporary one); a missing file is fine. */
export function removeCopyState(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.tmp`, { force: true });
}

/**
 * The URL with any password removed (from the user-info part and a `password` query parameter),
 * for storing: the state file identifies the target without holding its secret.
 */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  parsed.searchParams.delete('password');
  return parsed.toString();
}

/** The URL with its password shown as `****`, for messages. */
export function maskedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '****';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '****');
  return parsed.toString();
}

/** `text` with every occurrence of the URL's password (raw or percent-encoded) replaced by `****`. */
export function maskPassword(text: string, url: string): string {
  const parsed = new URL(url);
  const secrets = [parsed.password, parsed.searchParams.get('password') ?? '']
    .flatMap((secret) => [secret, safeDecode(secret)])
    .filter((secret) => secret !== '')
    // Longest first, so a password containing another one's text is replaced whole.
    .sort((a, b) => b.length - a.length);
  return secrets.reduce((masked, secret) => masked.split(secret).join('****'), text);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseCopyState(text: string): CopyState {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
  const { version, source, target, after } = value as Record<string, unknown>;
  if (version !== 1) throw new Error(`unknown version ${JSON.stringify(version)}`);
  if (typeof source !== 'string' || typeof target !== 'string') throw new Error('no source or target');
  if (typeof after !== 'object' || after === null) throw new Error('no "after" object');
  const keys: Partial<Record<string, ExportKey>> = {};
  for (const [table, key] of Object.entries(after)) {
    if (!LOG_TABLES.some((known) => known.table === table)) throw new Error(`unknown table ${table}`);
    const { tenantId, id } = (key ?? {}) as Record<string, unknown>;
    if (typeof tenantId !== 'string' || typeof id !== 'string') throw new Error(`bad key for ${table}`);
    keys[table] = { tenantId, id };
  }
  return { version, source, target, after: keys };
}
