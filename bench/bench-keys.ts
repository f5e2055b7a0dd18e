import { createHash } from 'node:crypto';
import { privateKeyFromSeed } from '../src/integrity/checkpoints/signed-note.js';
import { parseMasterKeys, type MasterKeys } from '../src/sealing/master-keys.js';

/**
 * The keys of the benchmark's data: fixed, so that data loaded once (a PostgreSQL schema outlives
 * the checkout that loaded it) opens in every later run and clone, and nothing is generated into
 * the working tree. Benchmark data holds no secret.
 */
const seed = (label: string) => createHash('sha256').update(`sealog benchmark ${label}`).digest();

/** DATA_KEY of the benchmark's stores. */
export const BENCH_DATA_KEY = `bench:${seed('data key').toString('base64')}`;

/** SIGNING_KEY of the benchmark's stores (PKCS#8 PEM). */
export const BENCH_SIGNING_KEY = privateKeyFromSeed(seed('signing key'))
  .export({ format: 'pem', type: 'pkcs8' })
  .toString();

/** The sealing options of a store the benchmark opens in its own process. */
export function benchSealing(): { masterKeys: MasterKeys } {
  return { masterKeys: parseMasterKeys(BENCH_DATA_KEY, 'the benchmark key') };
}
