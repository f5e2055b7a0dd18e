import { PermissionError } from './errors.js';
import { isAdmin, type Principal } from './principal.js';

/** Where the tenants with logs are found: one entry per (tenant, kind) log, as the integrity log keeps them. */
export interface TenantLogs {
  logStates(): Promise<readonly { tenantId: string }[]>;
}

/**
 * The tenants whose logs `principal` may read in the console, ascending: a platform admin every
 * tenant that has a log (the integrity log's per-tenant logs: one row each, however many records),
 * a tenant admin only their own. PermissionError for anyone else.
 */
export async function consoleTenants(principal: Principal, logs: TenantLogs): Promise<string[]> {
  if (!isAdmin(principal))
    throw new PermissionError('only admins use the console: the admin role is required');
  if (principal.tenantId !== undefined) return [principal.tenantId];
  const tenants = new Set<string>();
  // '' files a platform admin's reads of every tenant in the access log: no tenant of its own.
  for (const { tenantId } of await logs.logStates()) if (tenantId !== '') tenants.add(tenantId);
  return [...tenants].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
