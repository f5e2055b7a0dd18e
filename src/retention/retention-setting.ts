import { LOG_TABLES } from '../kinds/log-tables.js';
import { parsePeriod, PERIOD_FORMS, type RetentionPeriod } from './retention-period.js';
import {
  describeOutliving,
  fieldsOutlivingRecords,
  kindKey,
  policyKeyNamed,
  POLICY_KEY_LIST,
  type PolicyPeriods,
} from './retention-policy.js';

/** A RETENTION value that cannot be used; the message reads after the variable's name. */
export class RetentionSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionSettingError';
  }
}

/** The kinds' default periods as RETENTION would write them, for help texts. */
export const DEFAULT_RETENTION = LOG_TABLES.map(
  (table) => `${kindKey(table)}=${table.retention.defaultPeriod}`,
).join(',');

/**
 * Parses RETENTION: `key=period` entries, comma-separated (spaces around them allowed, empty
 * entries skipped), e.g. `communication-logs=180d,communication-logs.content=7d`. Keys are the
 * policy keys; a key named twice, an unknown key, a period that is none, or a field kept longer
 * than its record (with the kinds' defaults for those not named) throws RetentionSettingError.
 */
export function parseRetentionSetting(raw: string | undefined): PolicyPeriods {
  const periods = new Map<string, RetentionPeriod>();
  for (const entry of (raw ?? '').split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    if (equals === -1) {
      throw new RetentionSettingError(
        `entries must look like key=period, e.g. communication-logs=180d (got "${clip(entry)}")`,
      );
    }
    const key = entry.slice(0, equals).trim();
    const text = entry.slice(equals + 1).trim();
    if (policyKeyNamed(key) === undefined) {
      throw new RetentionSettingError(`has no key "${clip(key)}": the keys are ${POLICY_KEY_LIST}`);
    }
    if (periods.has(key)) throw new RetentionSettingError(`names ${key} twice`);
    const period = parsePeriod(text);
    if (period === undefined) {
      throw new RetentionSettingError(`${key}=${clip(text)}: a period is ${PERIOD_FORMS}`);
    }
    periods.set(key, period);
  }
  const [outliving] = fieldsOutlivingRecords(periods);
  if (outliving !== undefined) throw new RetentionSettingError(`is refused: ${describeOutliving(outliving)}`);
  return periods;
}

/** `text` cut to a length a message can echo. */
export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
