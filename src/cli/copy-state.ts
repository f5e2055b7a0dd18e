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
import { UsageError } from './settings-options.js';

/**
 * How far a `sealog copy` got: per log kind and tenant, the leaves the target held after the last
 * committed batch. A record of the progress for whoever looks (and for the note on resuming): the
 * copy itself always goes on from the leaves the target holds, once it has checked they are the
 * source's.
 */
export interface CopyState {
  version: 2;
  /** Absolute path of the source file. */
  source: string;
  /** The target URL without its password (see withoutPassword). */
  target: string;
  /** Leaves copied, by kind, then tenant. */
  leaves: Partial<Record<string, Record<string, number>>>;
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
  let saved: CopyState | 'earlier';
  try {
    saved = parseCopyState(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `${file} is not a sealog copy state file (${(error as Error).message}): delete it or pass --restart`,
    );
  }
  if (saved === 'earlier') {
    return {
      state: fresh,
      note: `${file} was written by an earlier sealog; going on from what the target holds`,
    };
  }
  if (saved.source !== source || saved.target !== target) {
    const was = saved.source === source ? saved.target : `${saved.source} → ${saved.target}`;
    return {
      state: fresh,
      note: `${file} records a copy ${saved.source === source ? 'into' : 'of'} ${was}; recording this one in its place`,
    };
  }
  return { state: saved, note: undefined };
}

/** The state of a copy that has not copied anything yet. */
export function freshCopyState(source: string, target: string): CopyState {
  return { version: 2, source, target, leaves: {} };
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

/** `leaves` of the log of `kind` and `tenantId` recorded in `state`. */
export function recordLeaves(state: CopyState, kind: string, tenantId: string, leaves: number): void {
  const tenants = state.leaves[kind] ?? {};
  tenants[tenantId] = leaves;
  state.leaves[kind] = tenants;
}

/** The state in `text`; 'earlier' for a state file of an earlier sealog (which walked tables). */
function parseCopyState(text: string): CopyState | 'earlier' {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
  const { version, source, target, leaves } = value as Record<string, unknown>;
  if (version === 1) return 'earlier';
  if (version !== 2) throw new Error(`unknown version ${JSON.stringify(version)}`);
  if (typeof source !== 'string' || typeof target !== 'string') throw new Error('no source or target');
  if (typeof leaves !== 'object' || leaves === null) throw new Error('no "leaves" object');
  const parsed: CopyState['leaves'] = {};
  for (const [kind, tenants] of Object.entries(leaves)) {
    if (!LOG_TABLES.some((known) => known.kind === kind)) throw new Error(`unknown log kind ${kind}`);
    if (typeof tenants !== 'object' || tenants === null) throw new Error(`bad leaves of ${kind}`);
    const counts: Record<string, number> = {};
    for (const [tenantId, count] of Object.entries(tenants as Record<string, unknown>)) {
      if (!Number.isSafeInteger(count) || (count as number) < 0) throw new Error(`bad count for ${kind}`);
      counts[tenantId] = count as number;
    }
    parsed[kind] = counts;
  }
  return { version, source, target, leaves: parsed };
}
