import type { LogTable } from '../kinds/log-table.js';
import { LOG_TABLES } from '../kinds/log-tables.js';
import { formatPeriod, isLonger, parsePeriod, shorterOf, type RetentionPeriod } from './retention-period.js';

/**
 * One key of a retention policy: a kind, named in the plural as the RETENTION setting and the API
 * write it (`communication-logs`), or one of its fields that may be kept for less
 * (`communication-logs.content`).
 */
export interface PolicyKey {
  readonly key: string;
  readonly table: LogTable;
  /** The column, for a field key; undefined for the kind's own key. */
  readonly field: string | undefined;
}

/** The policy key of `table`'s records: its kind in the plural, e.g. `operate-logs`. */
export function kindKey(table: LogTable): string {
  return `${table.kind}s`;
}

/** The policy key of `field` of `table`'s records, e.g. `communication-logs.content`. */
export function fieldKey(table: LogTable, field: string): string {
  return `${kindKey(table)}.${field}`;
}

/** Every policy key: each kind (in LOG_TABLES order) followed by its fields. */
export const POLICY_KEYS: readonly PolicyKey[] = LOG_TABLES.flatMap((table) => [
  { key: kindKey(table), table, field: undefined },
  ...(table.retention.fields ?? []).map((field) => ({ key: fieldKey(table, field), table, field })),
]);

const KEYS_BY_NAME = new Map(POLICY_KEYS.map((key) => [key.key, key]));

/** The policy key named `key`; undefined for a name that is none of them. */
export function policyKeyNamed(key: string): PolicyKey | undefined {
  return KEYS_BY_NAME.get(key);
}

/** Every key's name, comma-separated, for messages that refuse another. */
export const POLICY_KEY_LIST = POLICY_KEYS.map((key) => key.key).join(', ');

/**
 * Where an effective period comes from: the kind's description (a field without a period of its
 * own follows its record), the RETENTION setting, or the tenant's override.
 */
export type RetentionSource = 'default' | 'setting' | 'tenant';

/** A key's period as it applies, with its source. */
export interface EffectiveRetention {
  readonly period: RetentionPeriod;
  readonly source: RetentionSource;
}

/** Periods by policy key name, as the RETENTION setting or a tenant's overrides give them. */
export type PolicyPeriods = ReadonlyMap<string, RetentionPeriod>;

/** A field whose own period would outlive its record's. */
export interface FieldOutlivesRecord {
  field: string;
  fieldPeriod: RetentionPeriod;
  kind: string;
  kindPeriod: RetentionPeriod;
}

/** The rule FieldOutlivesRecord breaks, in words that say how to fix it. */
export function describeOutliving({ field, fieldPeriod, kind, kindPeriod }: FieldOutlivesRecord): string {
  return (
    `${field} would be kept ${formatPeriod(fieldPeriod)}, longer than its record (${kind}: ` +
    `${formatPeriod(kindPeriod)}): a field is kept at most as long as its record; shorten ${field} or lengthen ${kind}`
  );
}

/** A kind's default period, from its description (checked by a test for every kind). */
export function defaultPeriod(table: LogTable): RetentionPeriod {
  const period = parsePeriod(table.retention.defaultPeriod);
  if (period === undefined) {
    throw new Error(`${table.kind}: default retention "${table.retention.defaultPeriod}" is no period`);
  }
  return period;
}

/**
 * The retention that applies to one tenant: for every policy key, its period and where it comes
 * from. Build one with resolvePolicy().
 */
export class RetentionPolicy {
  constructor(private readonly byKey: ReadonlyMap<string, EffectiveRetention>) {}

  /** How long `table`'s records are kept. */
  ofKind(table: LogTable): EffectiveRetention {
    return this.of(kindKey(table));
  }

  /**
   * How long `field` of `table`'s records is kept: never longer than the record. A field the kind
   * does not list follows its record.
   */
  ofField(table: LogTable, field: string): EffectiveRetention {
    return this.byKey.get(fieldKey(table, field)) ?? this.ofKind(table);
  }

  /** Every key with its retention, in the order of POLICY_KEYS. */
  entries(): [string, EffectiveRetention][] {
    return POLICY_KEYS.map(({ key }) => [key, this.of(key)]);
  }

  private of(key: string): EffectiveRetention {
    const found = this.byKey.get(key);
    if (found === undefined) throw new Error(`no retention key ${key}`);
    return found;
  }
}

/**
 * The effective policy: each kind's default, replaced by the RETENTION `setting`, replaced by the
 * `tenant`'s overrides; a field without a period of its own follows its record (source `default`).
 * A field is never kept longer than its record: writes refuse that (see fieldsOutlivingRecords),
 * and a field left longer by a later change of RETENTION is cut to its record's period here.
 * Keys the maps hold that are no policy key are ignored.
 */
export function resolvePolicy(setting: PolicyPeriods, tenant: PolicyPeriods = new Map()): RetentionPolicy {
  const byKey = new Map<string, EffectiveRetention>();
  for (const { key, table, field } of POLICY_KEYS) {
    const own = ownRetention(key, setting, tenant);
    if (field === undefined) {
      byKey.set(key, own ?? { period: defaultPeriod(table), source: 'default' });
      continue;
    }
    const record = byKey.get(kindKey(table));
    if (record === undefined) throw new Error(`${key} precedes its kind in POLICY_KEYS`);
    byKey.set(
      key,
      own === undefined
        ? { period: record.period, source: 'default' }
        : { period: shorterOf(own.period, record.period), source: own.source },
    );
  }
  return new RetentionPolicy(byKey);
}

/** The fields whose own period (from `setting` or `tenant`) would outlive their record's. */
export function fieldsOutlivingRecords(
  setting: PolicyPeriods,
  tenant: PolicyPeriods = new Map(),
): FieldOutlivesRecord[] {
  const policy = resolvePolicy(setting, tenant);
  const found: FieldOutlivesRecord[] = [];
  for (const { key, table, field } of POLICY_KEYS) {
    if (field === undefined) continue;
    const own = ownRetention(key, setting, tenant);
    const kindPeriod = policy.ofKind(table).period;
    if (own !== undefined && isLonger(own.period, kindPeriod)) {
      found.push({ field: key, fieldPeriod: own.period, kind: kindKey(table), kindPeriod });
    }
  }
  return found;
}

function ownRetention(key: string, setting: PolicyPeriods, tenant: PolicyPeriods) {
  const fromTenant = tenant.get(key);
  if (fromTenant !== undefined) return { period: fromTenant, source: 'tenant' as const };
  const fromSetting = setting.get(key);
  if (fromSetting !== undefined) return { period: fromSetting, source: 'setting' as const };
  return undefined;
}
