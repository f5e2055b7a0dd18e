import type {
  RetentionOverride,
  RetentionOverrideChange,
  RetentionOverrideRepository,
} from '../domain/audit-store.js';
import { InvalidInputError, PermissionError } from '../domain/errors.js';
import { isAdmin, type Principal } from '../domain/principal.js';
import { adminReadScope } from '../domain/tenancy.js';
import { formatPeriod, parsePeriod, PERIOD_FORMS, type RetentionPeriod } from './retention-period.js';
import {
  describeOutliving,
  fieldsOutlivingRecords,
  policyKeyNamed,
  POLICY_KEY_LIST,
  resolvePolicy,
  type PolicyPeriods,
  type RetentionPolicy,
} from './retention-policy.js';
import { clip } from './retention-setting.js';

/**
 * A tenant's retention as the API changes it: policy keys to a period (`<n>d`, `<n>h`, `forever`)
 * or null (back to the RETENTION setting or the kind's default). Keys left out keep their value.
 */
export type RetentionChanges = Readonly<Record<string, string | null>>;

/**
 * Retention settings: each kind's default, the RETENTION setting, and tenants' overrides that the
 * platform admin sets. Answers what applies to a tenant (policyOf), to the API and to a purge.
 */
export class RetentionService {
  constructor(
    private readonly overrides: RetentionOverrideRepository,
    /** RETENTION, parsed (config.ts). */
    private readonly setting: PolicyPeriods,
    /** The clock, epoch ms, for when an override changed. */
    private readonly now: () => number = Date.now,
  ) {}

  /** The policy of every tenant without overrides: the defaults and the RETENTION setting. */
  basePolicy(): RetentionPolicy {
    return resolvePolicy(this.setting);
  }

  /** The policy that applies to `tenantId`. */
  async policyOf(tenantId: string): Promise<RetentionPolicy> {
    return resolvePolicy(this.setting, periodsOf(await this.overrides.get(tenantId)));
  }

  /** The policy of each tenant with overrides; every other tenant follows basePolicy(). */
  async tenantPolicies(): Promise<Map<string, RetentionPolicy>> {
    const tenants = await this.overrides.list();
    return new Map(
      tenants.map(({ tenantId, overrides }) => [tenantId, resolvePolicy(this.setting, periodsOf(overrides))]),
    );
  }

  /** The policy of `tenantId` for `principal`: a platform admin, or an admin of that tenant. */
  async read(principal: Principal, tenantId: string): Promise<RetentionPolicy> {
    adminReadScope(principal, tenantId);
    return this.policyOf(tenantId);
  }

  /**
   * Applies `changes` to `tenantId`'s overrides for a platform admin and answers the policy that
   * results. Checked whole before anything is stored: an unknown key, a period that is none, or a
   * field that would be kept longer than its record refuses the request and changes nothing.
   */
  async update(principal: Principal, tenantId: string, changes: RetentionChanges): Promise<RetentionPolicy> {
    if (!isAdmin(principal) || principal.tenantId !== undefined) {
      throw new PermissionError(
        'only a platform admin (a token with the admin role and no tenant_id claim) may change retention',
      );
    }
    const parsed = parseChanges(changes);
    const current = new Map(periodsOf(await this.overrides.get(tenantId)));
    for (const [key, period] of parsed) {
      if (period === null) current.delete(key);
      else current.set(key, period);
    }
    const outliving = fieldsOutlivingRecords(this.setting, current);
    if (outliving.length > 0) throw new InvalidInputError(outliving.map(describeOutliving).join('; '));
    const stored: RetentionOverrideChange[] = [...parsed].map(([policyKey, period]) => ({
      policyKey,
      period: period === null ? null : formatPeriod(period),
    }));
    if (stored.length > 0) await this.overrides.put(tenantId, stored, principal.subject, this.now());
    return this.policyOf(tenantId);
  }
}

/** Each change's key checked and period parsed; every fault named at once. */
function parseChanges(changes: RetentionChanges): Map<string, RetentionPeriod | null> {
  const parsed = new Map<string, RetentionPeriod | null>();
  const faults: string[] = [];
  const unknown: string[] = [];
  for (const [key, text] of Object.entries(changes)) {
    if (policyKeyNamed(key) === undefined) {
      unknown.push(`"${clip(key)}"`);
      continue;
    }
    if (text === null) {
      parsed.set(key, null);
      continue;
    }
    const period = parsePeriod(text);
    if (period === undefined) faults.push(`${key}: "${clip(text)}" is no period`);
    else parsed.set(key, period);
  }
  const badPeriods = faults.length > 0;
  if (unknown.length > 0) {
    const keys = `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`;
    faults.unshift(`${keys}: the keys are ${POLICY_KEY_LIST}`);
  }
  if (faults.length > 0) {
    throw new InvalidInputError(`${faults.join('; ')}${badPeriods ? `; a period is ${PERIOD_FORMS}` : ''}`);
  }
  return parsed;
}

/**
 * Stored overrides as periods by key. A key this version does not know, or a period it cannot read
 * (written by another version), is left out: the tenant then follows the setting for it.
 */
function periodsOf(overrides: readonly RetentionOverride[]): PolicyPeriods {
  const periods = new Map<string, RetentionPeriod>();
  for (const { policyKey, period } of overrides) {
    const parsed = parsePeriod(period);
    if (policyKeyNamed(policyKey) !== undefined && parsed !== undefined) periods.set(policyKey, parsed);
  }
  return periods;
}
