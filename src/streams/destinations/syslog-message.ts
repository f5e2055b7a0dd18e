import { InvalidInputError } from '../../domain/errors.js';
import type { StreamEvent } from './destination.js';
import { eventJson } from './event-json.js';

/**
 * RFC 5424 facilities by name. 0–11 and local0–local7 are the names syslog.h and rsyslog use;
 * 12–15 have no common names, so they are named after RFC 5424 Table 1's descriptions ("NTP
 * subsystem", "log audit", "log alert", "clock daemon").
 */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

/** A facility's name, e.g. `local0`. */
export type SyslogFacilityName = keyof typeof SYSLOG_FACILITIES;

/** Every event is informational: the audit record is the news, not an alarm. */
const SEVERITY_INFO = 6;

/**
 * 32473 is the Private Enterprise Number that RFC 5612 reserves for documentation and examples:
 * deployments that register their own PEN configure it instead.
 */
export const EXAMPLE_ENTERPRISE_NUMBER = 32473;

/** The limits of RFC 5424 §6 on header fields, in characters (all US-ASCII, so bytes too). */
export const HEADER_LIMITS = { hostname: 255, app_name: 48, msgid: 32 } as const;

/**
 * The most bytes STRUCTURED-DATA may take. RFC 5424 sets no limit, but rsyslog (8.x) keeps its
 * length in 16 bits: a longer SD comes out cut at the length modulo 65,536, i.e. mangled.
 */
export const MAX_STRUCTURED_DATA_BYTES = 65_535;

/** PRINTUSASCII (%d33-126): no space, no control character, nothing outside ASCII. */
const PRINTUSASCII = /^[!-~]+$/;

/** SD-NAME (an SD-ID or PARAM-NAME): 1–32 PRINTUSASCII except `=`, `]` and `"`. */
const SD_NAME = /^[!#-<>-\\^-~]{1,32}$/;

/** The UTF-8 byte order mark RFC 5424 §6.4 puts before a MSG encoded in UTF-8. */
const BOM = '\uFEFF';

/** What every message of one destination shares, validated by syslogHeader. */
export interface SyslogHeader {
  /** The facility's code, 0–23. */
  readonly facility: number;
  /** HOSTNAME: 1–255 PRINTUSASCII. */
  readonly hostname: string;
  /** APP-NAME: 1–48 PRINTUSASCII. */
  readonly appName: string;
  /** The PEN of both SD-IDs, `sealog@N` and `record@N`. */
  readonly enterpriseNumber: number;
}

/**
 * Checks the configurable parts of the header once, when a destination is configured, so that no
 * message can fail or be mangled at send time. Throws an InvalidInputError naming the setting
 * (`facility`, `hostname`, `app_name`, `enterprise_number`) and what it accepts.
 */
export function syslogHeader(settings: {
  facility: string;
  hostname: string;
  appName: string;
  enterpriseNumber: number;
}): SyslogHeader {
  if (!Object.hasOwn(SYSLOG_FACILITIES, settings.facility)) {
    throw new InvalidInputError(
      `facility must be one of ${Object.keys(SYSLOG_FACILITIES).join(', ')} (got ${JSON.stringify(settings.facility)})`,
    );
  }
  const { enterpriseNumber } = settings;
  if (!Number.isSafeInteger(enterpriseNumber) || enterpriseNumber < 1) {
    throw new InvalidInputError(
      `enterprise_number must be a positive integer, an IANA Private Enterprise Number (got ${enterpriseNumber})`,
    );
  }
  return {
    facility: SYSLOG_FACILITIES[settings.facility as SyslogFacilityName],
    hostname: checkHeaderField('hostname', settings.hostname, HEADER_LIMITS.hostname),
    appName: checkHeaderField('app_name', settings.appName, HEADER_LIMITS.app_name),
    enterpriseNumber,
  };
}

/** `value` when it is 1 to `maxLength` PRINTUSASCII characters; an InvalidInputError naming `setting` otherwise. */
function checkHeaderField(setting: string, value: string, maxLength: number): string {
  if (value.length > maxLength || !PRINTUSASCII.test(value)) {
    throw new InvalidInputError(
      `${setting} must be 1 to ${maxLength} printable US-ASCII characters without spaces (RFC 5424 §6.2), ` +
        `got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Formats `event` as one RFC 5424 message, in UTF-8:
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [sealog@N …][record@N …] BOM JSON`.
 *
 * - PRI: the header's facility and severity info (6).
 * - TIMESTAMP: the event's time, UTC with milliseconds (`2026-05-15T08:30:00.123Z`); `-` (NILVALUE)
 *   for a time whose year has not 4 digits, which RFC 5424 cannot write.
 * - MSGID: the event's kind, or `-` when it is not 1–32 PRINTUSASCII (the kind is in the SD too).
 * - `sealog@N`: `id`, `tenant`, `kind`, `leaf`, `record` (the record's id) and `transition`.
 * - `record@N`: a PARAM for each top-level field of the record, in the record's order: strings as
 *   they are, numbers and booleans as String() writes them, null as an empty value, objects and arrays
 *   as JSON text; undefined fields are left out as JSON leaves them out. A field whose name is no
 *   valid PARAM-NAME (empty, over 32 characters, non-ASCII, a space, `=`, `]` or `"`) is left out
 *   of the SD rather than renamed, which could collide with another field: MSG carries it.
 *   So is a field that would take the SD past MAX_STRUCTURED_DATA_BYTES (fields after it that
 *   still fit are kept): the SD is for indexing and MSG carries the whole record.
 * - MSG: the event's JSON (eventJson), the whole record included, after a BOM (see below).
 *
 * The BOM: RFC 5424 §6.4 says a MSG encoded in UTF-8 MUST start with it, and without it the MSG
 * is MSG-ANY, whose encoding a receiver may not assume. Records hold any text, so every MSG is
 * written as UTF-8 with the BOM, also when it happens to be ASCII, so that its shape never depends
 * on the data. rsyslog's RFC 5424 parser keeps the BOM at the start of its `msg` property: a
 * consumer parsing that as JSON strips a leading U+FEFF first.
 *
 * Throws what eventJson or JSON.stringify throw (an invalid time, a BigInt in the record): such an
 * event can never be sent.
 */
export function formatSyslogMessage(event: StreamEvent, header: SyslogHeader): Buffer {
  const pri = header.facility * 8 + SEVERITY_INFO;
  const msgId = event.kind.length <= HEADER_LIMITS.msgid && PRINTUSASCII.test(event.kind) ? event.kind : '-';
  const body = JSON.stringify(eventJson(event));
  const pen = header.enterpriseNumber;
  const sealog = sdElement(`sealog@${pen}`, [
    ['id', event.id],
    ['tenant', event.tenant_id],
    ['kind', event.kind],
    ['leaf', String(event.leaf_index)],
    ['record', event.record_id],
    ['transition', String(event.transition)],
  ]);
  const budget = MAX_STRUCTURED_DATA_BYTES - Buffer.byteLength(sealog) - `[record@${pen}]`.length;
  const record = `[record@${pen}${recordParams(event.record, budget)}]`;
  return Buffer.from(
    `<${pri}>1 ${syslogTimestamp(event.time)} ${header.hostname} ${header.appName} - ${msgId} ` +
      `${sealog}${record} ${BOM}${body}`,
    'utf8',
  );
}

/**
 * Frames a message for a stream transport by octet counting (RFC 6587 §3.4.1, RFC 5425 §4.3):
 * `MSG-LEN SP SYSLOG-MSG`, MSG-LEN the message's length in bytes.
 */
export function frameOctetCounted(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

/** Escapes a PARAM-VALUE as RFC 5424 §6.3.3 requires: `"`, `\` and `]` get a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, '\\$&');
}

/** Whether `name` may be an SD-ID or PARAM-NAME (RFC 5424 §6.3.2, §6.3.3). */
export function isSdName(name: string): boolean {
  return SD_NAME.test(name);
}

/**
 * The TIMESTAMP of `epochMs`: RFC 3339 UTC, always with milliseconds; `-` for times before year 0
 * or after 9999, and for an invalid time.
 */
export function syslogTimestamp(epochMs: number): string {
  const date = new Date(epochMs);
  const year = date.getUTCFullYear();
  return year >= 0 && year <= 9999 ? date.toISOString() : '-';
}

function sdElement(id: string, params: readonly (readonly [string, string])[]): string {
  return `[${id}${params.map(([name, value]) => sdParam(name, value)).join('')}]`;
}

function sdParam(name: string, value: string): string {
  return ` ${name}="${escapeParamValue(value)}"`;
}

/** The SD-PARAMs of the record's fields, within `budget` bytes (see formatSyslogMessage). */
function recordParams(record: Readonly<Record<string, unknown>>, budget: number): string {
  let params = '';
  let left = budget;
  for (const [name, value] of Object.entries(record)) {
    if (!isSdName(name)) continue;
    const text = paramValue(value);
    if (text === undefined) continue;
    const param = sdParam(name, text);
    const bytes = Buffer.byteLength(param);
    if (bytes > left) continue;
    params += param;
    left -= bytes;
  }
  return params;
}

function paramValue(value: unknown): string | undefined {
  if (value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return JSON.stringify(value);
    default:
      return undefined;
  }
}
