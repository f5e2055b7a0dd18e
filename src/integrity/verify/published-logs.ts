import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { logDirectory } from '../checkpoints/checkpoint-directory.js';
import { parseLogOrigin } from '../checkpoints/log-origin.js';
import type { LogId } from '../sequencing/integrity-store.js';

/**
 * The logs of origin prefix `originPrefix` that have a checkpoint file in `checkpointDir`
 * (CHECKPOINT_DIR as published: `<prefix>/<tenant segment>/<kind>/<size>.checkpoint`), of the
 * kinds in `kinds`. A log deleted from the store whole — its rows, state, leaves and checkpoints —
 * is still named here, so `sealog verify` can hold the store to what was published of it.
 * Directories that are no log origin of this prefix are passed over: the directory may be shared
 * with other deployments, or hold what an operator put there. Throws when the directory cannot be read.
 */
export async function publishedLogs(
  checkpointDir: string,
  originPrefix: string,
  kinds: readonly string[],
): Promise<LogId[]> {
  const root = logDirectory(checkpointDir, originPrefix);
  const logs: LogId[] = [];
  for (const tenant of await subdirectories(root)) {
    for (const kind of await subdirectories(join(root, tenant))) {
      let log: LogId;
      try {
        log = parseLogOrigin(`${originPrefix}/${tenant}/${kind}`);
      } catch {
        // Not a directory the publisher writes: a tenant segment it would encode otherwise.
        continue;
      }
      if (!kinds.includes(log.kind)) continue;
      const names = await readdir(join(root, tenant, kind));
      if (names.some((name) => name.endsWith('.checkpoint')))
        logs.push({ tenantId: log.tenantId, kind: log.kind });
    }
  }
  return logs;
}

/** The names of the directories in `directory`; none when it does not exist. */
async function subdirectories(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
