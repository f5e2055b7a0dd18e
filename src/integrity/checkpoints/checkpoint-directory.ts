/**
 * CHECKPOINT_DIR as the publisher writes it and the signer reads it: one directory per log (its
 * origin's segments), one file per checkpoint named by its size, never overwritten, and the log's
 * verifier key in key.vkey. Every new file and directory entry is flushed before it counts.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseCheckpointText } from './checkpoint-body.js';
import type { TreeHead } from './checkpoint-guard.js';

/** The name of the verifier key file in each log directory. */
export const VERIFIER_KEY_FILE = 'key.vkey';

/** The file of `origin`'s checkpoint of `size` leaves: `<directory>/<origin segments>/<size, 20 digits>.checkpoint`. */
export function checkpointPath(directory: string, origin: string, size: number): string {
  return join(logDirectory(directory, origin), `${String(size).padStart(20, '0')}.checkpoint`);
}

/**
 * The newest checkpoint of `origin` in `directory` (the largest size), or undefined when none:
 * the signer's "published" anchor. Throws on a file that is not a checkpoint of that origin.
 */
export async function publishedHead(directory: string, origin: string): Promise<TreeHead | undefined> {
  let names: string[];
  try {
    names = await readdir(logDirectory(directory, origin));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const newest = names
    .filter((name) => /^[0-9]{20}\.checkpoint$/.test(name))
    .sort()
    .at(-1);
  if (newest === undefined) return undefined;
  const note = await readFile(join(logDirectory(directory, origin), newest), 'utf8');
  const { origin: stated, size, root } = parseCheckpointText(note.slice(0, note.indexOf('\n\n') + 1));
  if (stated !== origin || `${String(size).padStart(20, '0')}.checkpoint` !== newest) {
    throw new Error(`published checkpoint ${newest} of ${origin} states ${stated} at ${size}`);
  }
  return { size, root };
}

/** The directory of `origin`'s checkpoints; throws on an origin that is no safe relative path. */
export function logDirectory(directory: string, origin: string): string {
  const segments = origin.split('/');
  if (
    segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || /[\\\0]/.test(segment),
    )
  ) {
    throw new Error(`origin ${JSON.stringify(origin)} is not a safe path`);
  }
  return join(directory, ...segments);
}

/**
 * Writes `text` to `file` unless it exists: through a flushed temporary file linked into place
 * (link() never replaces a file), so a crash never leaves a half-written checkpoint that would
 * later look like a fork. 'present' when the file already holds these bytes, 'conflict' when other ones.
 */
export async function writeFileOnce(file: string, text: string): Promise<'written' | 'present' | 'conflict'> {
  const bytes = Buffer.from(text, 'utf8');
  const compare = async () => ((await readFile(file)).equals(bytes) ? 'present' : 'conflict');
  try {
    return await compare();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temporary = join(
    dirname(file),
    `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return await compare();
  } finally {
    await unlink(temporary);
  }
  await syncDirectory(dirname(file));
  return 'written';
}

/** Creates `folder` and its missing parents, making each new entry durable. */
export async function makeDirectory(folder: string): Promise<void> {
  const first = await mkdir(folder, { recursive: true });
  if (first === undefined) return;
  for (let at = folder; ; at = dirname(at)) {
    await syncDirectory(dirname(at));
    if (at === first || dirname(at) === at) return;
  }
}

async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the file's own contents are already flushed.
  }
}
