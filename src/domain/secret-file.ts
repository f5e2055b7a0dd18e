import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/**
 * Reads the secret in `file`, or creates the file (mode 0600) holding `make()`: written to a
 * private temporary file, flushed, then linked into place. link() fails when the file exists, so
 * a process that loses a race reads the winner's secret and nobody ever reads a half-written file.
 * Losing such a file (a key) loses what it protects, hence the fsyncs. Synchronous: for start-up.
 */
export function readOrCreateSecretFile(file: string, make: () => string): string {
  const existing = readIfExists(file);
  if (existing !== undefined) return existing;
  mkdirSync(dirname(file), { recursive: true });
  const text = make();
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFileSync(file, 'utf8');
  } finally {
    unlinkSync(temporary);
  }
  syncDirectory(dirname(file));
  return text;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Makes the new directory entry durable (where the platform allows fsync on a directory). */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the file's own contents are already flushed.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
