import { InvalidInputError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { adminReadScope } from '../domain/tenancy.js';
import type { ErasureOutcome, SubjectErasure } from '../sealing/subject-erasure.js';

/**
 * Erasure as the API offers it: an admin of a tenant erases a data subject of that tenant; a
 * platform admin names the tenant. The store does the erasing (see SubjectErasure).
 */
export class ErasureService {
  constructor(
    private readonly store: SubjectErasure,
    /** The clock, epoch ms. */
    private readonly now: () => number,
  ) {}

  /**
   * Erases `subject` in the caller's tenant, or in `tenantId` for a platform admin, who must name
   * one. PermissionError for anyone but an admin of that tenant.
   */
  erase(principal: Principal, subject: string, tenantId: string | undefined): Promise<ErasureOutcome> {
    const scope = adminReadScope(principal, tenantId);
    if (scope.tenantId === undefined) {
      throw new InvalidInputError(
        'a platform admin names the tenant to erase the subject in: add ?tenant_id=',
      );
    }
    return this.store.eraseSubject({
      tenantId: scope.tenantId,
      subject,
      erasedBy: principal.subject,
      at: this.now(),
    });
  }
}
