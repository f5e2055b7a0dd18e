import type { Config } from '../config.js';
import { openStore, type OpenedStore } from '../storage/open-store.js';
import { UsageError } from './settings-options.js';

/** The parseArgs options of a command that names a user: `--sub`, `--tenant`, `--role` (repeatable). */
export const IDENTITY_OPTIONS = {
  sub: { type: 'string' },
  tenant: { type: 'string' },
  role: { type: 'string', multiple: true },
} as const;

/** Who a command acts for, as a token's claims would say it. */
export interface CommandIdentity {
  readonly subject: string;
  /** Undefined for a platform-wide user. */
  readonly tenantId: string | undefined;
  /** Roles in the order given, commas split, empty ones dropped. */
  readonly roles: string[];
}

/**
 * The identity `--sub`, `--tenant` and `--role` name. UsageError (pointing at `sealog <command>
 * --help`) when --sub is missing or empty, or --tenant is given empty: an empty tenant would read
 * as a platform-wide user, which must be asked for by leaving --tenant out.
 */
export function identityFrom(
  command: string,
  values: { sub?: string; tenant?: string; role?: string[] },
): CommandIdentity {
  if (values.sub === undefined || values.sub === '') {
    throw new UsageError(`--sub is required. See: sealog ${command} --help`);
  }
  if (values.tenant === '') {
    throw new UsageError('--tenant must not be empty; leave it out for a platform-wide user');
  }
  const roles = (values.role ?? []).flatMap((role) => role.split(',')).filter((role) => role !== '');
  return { subject: values.sub, tenantId: values.tenant, roles };
}

/**
 * Opens the configured store, brings its schema up to date, runs `work` on it and closes it,
 * whether `work` succeeded or threw.
 */
export async function withMigratedStore<T>(
  config: Config,
  work: (store: OpenedStore) => Promise<T>,
): Promise<T> {
  const store = openStore(config.store, { integrity: config.integrity });
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}
