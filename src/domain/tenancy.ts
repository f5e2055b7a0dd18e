import { InvalidInputError, PermissionError } from './errors.js';
import { isAdmin, isOrdinaryUser, isWriter, type Principal } from './principal.js';

/**
 * What a reader may see. `tenantId` undefined means every tenant (platform admins only);
 * `userId` set means only that user's rows.
 */
export interface ReadScope {
  tenantId: string | undefined;
  userId: string | undefined;
}

/**
 * Scope of an admin read. A tenant admin reads its own tenant; a platform admin (an admin token
 * without `tenant_id`) reads every tenant, or one when it names it.
 */
export function adminReadScope(principal: Principal, requestedTenantId: string | undefined): ReadScope {
  if (!isAdmin(principal)) throw new PermissionError('this endpoint requires the admin role');
  if (principal.tenantId === undefined) return { tenantId: requestedTenantId, userId: undefined };
  if (requestedTenantId !== undefined && requestedTenantId !== principal.tenantId) {
    throw new PermissionError(`tenant_id ${requestedTenantId} is outside the token's tenant`);
  }
  return { tenantId: principal.tenantId, userId: undefined };
}

/**
 * Scope of a user reading its own logs: only rows of its tenant whose user_id is its `sub`.
 * Asking for another user's logs is refused rather than silently narrowed.
 */
export function ownReadScope(principal: Principal, requestedUserId: string | undefined): ReadScope {
  if (!isOrdinaryUser(principal) && !isAdmin(principal)) {
    throw new PermissionError('an audit:write token may only ingest logs');
  }
  if (principal.tenantId === undefined) {
    throw new PermissionError('reading your own logs needs a token with a tenant_id claim');
  }
  if (requestedUserId !== undefined && requestedUserId !== principal.subject) {
    throw new PermissionError('user_id must be your own user id; use /admin/communication/logs for others');
  }
  return { tenantId: principal.tenantId, userId: principal.subject };
}

/** Refuses any caller without the audit:write role. */
export function assertWriter(principal: Principal): void {
  if (!isWriter(principal)) throw new PermissionError('ingest requires the audit:write role');
}

/**
 * The tenant a written record belongs to. A tenant-bound writer writes only into its tenant;
 * a platform writer must name the tenant on every record.
 * @param recordIndex position of the record in its batch, for the error message; undefined for single updates
 */
export function writeTenant(
  principal: Principal,
  recordTenantId: string | undefined,
  recordIndex?: number,
): string {
  const where = recordIndex === undefined ? '' : `record ${recordIndex}: `;
  if (principal.tenantId === undefined) {
    if (recordTenantId === undefined) {
      throw new InvalidInputError(`${where}tenant_id is required when the token has no tenant_id`);
    }
    return recordTenantId;
  }
  if (recordTenantId !== undefined && recordTenantId !== principal.tenantId) {
    throw new PermissionError(`${where}tenant_id ${recordTenantId} is outside the token's tenant`);
  }
  return principal.tenantId;
}
