/**
 * What a leaf of the integrity log holds, per kind: derived from the kind's `LogTable` (and, for
 * delivery-status transitions, from the history table's columns), so that a column added to a kind
 * enters its leaves without a second list to keep in step. The bytes are leaf-encoder.ts's.
 */
import {
  COMMUNICATION_LOG_TABLE,
  TRANSITION_COLUMNS,
  type CommunicationLog,
} from '../../kinds/communication-log/communication-log-table.js';
import type { ColumnType, LogTable } from '../../kinds/log-table.js';
import { LOG_TABLES } from '../../kinds/log-tables.js';

/** The `v` of every leaf; any change to what a leaf holds or how it is written needs a new one. */
export const LEAF_VERSION = 1;

/**
 * Why a field is in a leaf: `constant` (v, type, kind: the same in every leaf of the format),
 * `column` (a stored column as stored), `subject` (the column naming the data subject), `sealed`
 * (a personal column, '' in the leaf: its value is inside the `envelope`), `separate` (a personal
 * column holding its own envelope or null), `envelope` (the row's `sealed` column), `rank` (the
 * transition's 1-based rank among its log's transitions), `previous` (a value the transition replaced).
 */
export type LeafFieldRole =
  'constant' | 'column' | 'subject' | 'sealed' | 'separate' | 'envelope' | 'rank' | 'previous';

/** One member of a leaf's JSON object. */
export interface LeafField {
  readonly name: string;
  /** 'text' is a JSON string, 'bigint' a JSON integer (a safe integer: epoch ms, counts); either may be null. */
  readonly type: ColumnType;
  readonly role: LeafFieldRole;
  /** The value every leaf of the format has (role `constant` only). */
  readonly constant?: string | number;
  /** For role `previous`: the communication-log column whose earlier value it holds. */
  readonly of?: string;
}

/** The fields of one sort of leaf, in declared order (not the JCS order, which the encoder derives). */
export interface LeafFormat {
  readonly type: 'record' | 'transition';
  readonly kind: string;
  readonly fields: readonly LeafField[];
  /**
   * The names of the non-constant fields in `fields` order: the order of the values a positional
   * encoding takes, and so of the columns a store selects for it.
   */
  readonly valueFields: readonly string[];
}

/** The members every leaf starts with; a column of one of these names would be ambiguous. */
const HEADER_NAMES = ['v', 'type', 'kind'] as const;
/** The record leaf member holding the row's envelope of its `sealing.sealed` columns. */
const ENVELOPE_FIELD = 'sealed';

/**
 * The communication-log columns a transition changes other than `status` (whose earlier value is the
 * transition's `from_status`), each stored on the transition as `prev_<column>`. A change to this
 * list is a change of the transition leaf: it needs a new LEAF_VERSION.
 */
export const PREVIOUS_COLUMNS = [
  'error',
  'response',
  'sent_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof CommunicationLog>;

/** The kind whose records have transition leaves too. */
const TRANSITION_LEAF_KIND = COMMUNICATION_LOG_TABLE.kind;

/** The record leaf of `table`; throws when a column clashes with a leaf member or sealing is inconsistent. */
export function recordLeafFormat(table: LogTable): LeafFormat {
  const { sealed, separate = [], subject, searchCopy } = table.sealing;
  const names = new Set(table.columns.map(([name]) => name));
  for (const name of [...sealed, ...separate, subject]) {
    if (!names.has(name)) throw new Error(`${table.kind}: sealing names ${name}, which is not a column`);
  }
  const columns: LeafField[] = table.columns
    // Derived and cleared on erasure: a leaf holding it would break when the subject is forgotten.
    .filter(([name]) => name !== searchCopy?.column)
    .map(([name, type]) => {
      const role = sealed.includes(name)
        ? 'sealed'
        : separate.includes(name)
          ? 'separate'
          : name === subject
            ? 'subject'
            : 'column';
      if ((role === 'sealed' || role === 'separate') && type !== 'text') {
        throw new Error(`${table.kind}: sealed column ${name} must be text`);
      }
      return { name, type, role };
    });
  return format('record', table.kind, [...columns, { name: ENVELOPE_FIELD, type: 'text', role: 'envelope' }]);
}

/** The transition leaf: one accepted delivery-status change of a communication log. */
export function transitionLeafFormat(): LeafFormat {
  const separate = COMMUNICATION_LOG_TABLE.sealing.separate ?? [];
  const columnType = (name: string): ColumnType => {
    const column = COMMUNICATION_LOG_TABLE.columns.find(([candidate]) => candidate === name);
    if (column === undefined) throw new Error(`communication-log has no column ${name}`);
    return column[1];
  };
  const fields: LeafField[] = [];
  for (const [name, type] of TRANSITION_COLUMNS) {
    fields.push({ name, type, role: separate.includes(name) ? 'separate' : 'column' });
    // After the log's id: the rank tells which of the log's transitions this is.
    if (name === 'log_id') fields.push({ name: 'transition', type: 'bigint', role: 'rank' });
  }
  for (const of of PREVIOUS_COLUMNS) {
    fields.push({
      name: `prev_${of}`,
      type: columnType(of),
      role: separate.includes(of) ? 'separate' : 'previous',
      of,
    });
  }
  return format('transition', COMMUNICATION_LOG_TABLE.kind, fields);
}

/** `fields` behind the header members, with the value order derived; throws on a duplicate name. */
function format(type: LeafFormat['type'], kind: string, fields: readonly LeafField[]): LeafFormat {
  const header: LeafField[] = [
    { name: 'v', type: 'bigint', role: 'constant', constant: LEAF_VERSION },
    { name: 'type', type: 'text', role: 'constant', constant: type },
    { name: 'kind', type: 'text', role: 'constant', constant: kind },
  ];
  const all = [...header, ...fields];
  const seen = new Set<string>();
  for (const { name } of all) {
    if (seen.has(name)) {
      const why = (HEADER_NAMES as readonly string[]).includes(name) ? ' (a leaf header member)' : '';
      throw new Error(`${kind} ${type} leaf: field ${name} appears twice${why}`);
    }
    seen.add(name);
  }
  return {
    type,
    kind,
    fields: all,
    valueFields: all.filter((field) => field.role !== 'constant').map((field) => field.name),
  };
}

/** The record leaf format of every kind, by kind name (`communication-log`, …). */
export const RECORD_LEAF_FORMATS: ReadonlyMap<string, LeafFormat> = new Map(
  LOG_TABLES.map((table) => [table.kind, recordLeafFormat(table)]),
);

/** The transition leaf format (communication logs only). */
export const TRANSITION_LEAF_FORMAT: LeafFormat = transitionLeafFormat();

/**
 * What a field means, for the documentation table: by `<leaf type>:<name>` first, then by name;
 * fields named in neither are described generically.
 */
const MEANINGS: Readonly<Record<string, string>> = {
  v: 'leaf format version',
  type: '`record` or `transition`',
  kind: 'the log kind',
  tenant_id: 'the tenant',
  id: 'the record id',
  sealed: 'the envelope of the sealed columns (`s1.<key id>.<base64url>`), or null before sealing',
  created_at: 'epoch ms',
  updated_at: 'epoch ms of the last change (as inserted)',
  sent_at: 'epoch ms when sent, or null',
  'transition:log_id': 'the id of the communication log the transition moved',
  'transition:transition': "1-based rank of the transition among its log's transitions",
  'transition:from_status': 'the status before the transition',
  'transition:to_status': 'the status after the transition',
  'transition:error': 'the error the transition set, or null (left as it was)',
  'transition:response': 'the response the transition set, or null (left as it was)',
  'transition:sent_at': 'epoch ms of sending the transition set, or null (left as it was)',
  'transition:changed_at': 'epoch ms when sealog accepted the transition',
  'transition:prev_updated_at':
    "the log's `updated_at` before the transition; null on a legacy transition (stored before tamper evidence)",
};

const ROLE_NOTES: Readonly<Record<LeafFieldRole, string>> = {
  constant: '',
  column: '',
  subject: ' — **subject** (names the data subject)',
  sealed: ' — **sealed**: always `""` in the leaf, the value is inside `sealed`',
  separate: ' — **sealed separately**: its own envelope, or null',
  envelope: '',
  rank: '',
  previous: '',
};

/** The JSON type of a field as the documentation states it. */
function jsonType(field: LeafField): string {
  if (field.constant !== undefined)
    return `${typeof field.constant === 'number' ? 'integer' : 'string'} \`${JSON.stringify(field.constant)}\``;
  return field.type === 'bigint' ? 'integer' : 'string';
}

/**
 * A markdown table of `format`'s fields in declared order (name, JSON type, meaning), for
 * `docs/integrity.md` to be checked against: the docs copy it verbatim. Any field stored NULL
 * appears as `null` in the leaf (never omitted); the table states it once, below the rows.
 */
export function leafFieldsMarkdown(format: LeafFormat): string {
  const rows = format.fields.map((field) => {
    const meaning =
      MEANINGS[`${format.type}:${field.name}`] ??
      (field.of === undefined
        ? (MEANINGS[field.name] ?? 'stored column')
        : `the log's \`${field.of}\` before the transition`);
    return [`\`${field.name}\``, jsonType(field), `${meaning}${ROLE_NOTES[field.role]}`];
  });
  const table = [['field', 'JSON type', 'meaning'], ...rows];
  // Padded as prettier pads a markdown table, so that the docs can hold it byte for byte.
  const widths = [0, 1, 2].map((column) =>
    Math.max(3, ...table.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [head = [], ...body] = table;
  return [
    line(head),
    line(widths.map((width) => '-'.repeat(width))),
    ...body.map(line),
    '',
    'A column stored NULL appears as `null`, never omitted.',
    ...(format.type === 'record' && format.kind === TRANSITION_LEAF_KIND
      ? ['The row as inserted: what later transitions changed is in their own leaves.']
      : []),
    '',
  ].join('\n');
}
