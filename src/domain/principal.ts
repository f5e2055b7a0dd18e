/** Role names carried in the `roles` claim of a sealog token. */
export const ROLE_ADMIN = 'admin';
export const ROLE_AUDIT_WRITE = 'audit:write';

/** Who is calling, as established by a verified credential. */
export interface Principal {
  /** The `sub` claim: the user id (for services, the service's id). */
  subject: string;
  /** The `tenant_id` claim; undefined for platform-wide credentials. */
  tenantId: string | undefined;
  roles: readonly string[];
}

export function isAdmin(principal: Principal): boolean {
  return principal.roles.includes(ROLE_ADMIN);
}

export function isWriter(principal: Principal): boolean {
  return principal.roles.includes(ROLE_AUDIT_WRITE);
}

/** An ordinary user holds neither the admin nor the writer role: it may read only its own logs. */
export function isOrdinaryUser(principal: Principal): boolean {
  return !isAdmin(principal) && !isWriter(principal);
}
