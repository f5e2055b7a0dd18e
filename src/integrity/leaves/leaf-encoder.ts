/**
 * The bytes of a leaf: RFC 8785 (JCS) of its JSON object, as `canonicalize` writes it, but without
 * sorting and recursing per leaf. A leaf's keys are fixed per format, so their JCS order (UTF-16 code
 * units, RFC 8785 §3.2.3) is computed once and the leaf is written as literal text between values.
 * For strings, safe integers and null, JCS values are ES JSON serialisation (§3.2.2), so the text is
 * byte-identical to `canonicalize` — and every other value is refused, since a store handing back a
 * float, a bigint or a string where it stored an integer would make one row two different leaves.
 * Literal text rather than JSON.stringify of a key-ordered object: objects put integer-like keys first.
 */
import canonicalize from 'canonicalize';
import type { LeafField, LeafFormat } from './leaf-format.js';
import { RECORD_LEAF_FORMATS, TRANSITION_LEAF_FORMAT } from './leaf-format.js';

/** A value a leaf may hold. */
export type LeafValue = string | number | null;

/** `String#isWellFormed` (ES2024, in every Node sealog supports; the TS lib here is ES2023). */
interface WellFormedCheck {
  isWellFormed(): boolean;
}

/**
 * Writes the leaves of one format. Build it once per format (the constructor sorts the keys); its
 * encode methods throw a TypeError naming the field for a value the format does not allow.
 */
export class LeafEncoder {
  /** Text around the values in JCS order: `literals[i]` precedes the i-th value, the last closes. */
  private readonly literals: string[];
  /** For each value in JCS order, its index in `format.valueFields`. */
  private readonly sources: number[];
  private readonly fields: LeafField[];
  /** Per value field: whether it holds an integer (else a string). */
  private readonly integers: boolean[];

  constructor(readonly format: LeafFormat) {
    this.fields = format.valueFields.map((name) => {
      const field = format.fields.find((candidate) => candidate.name === name);
      if (field === undefined) throw new Error(`${format.kind} ${format.type} leaf: no field ${name}`);
      return field;
    });
    this.integers = this.fields.map((field) => field.type === 'bigint');
    // A second member of one name would make the leaf ambiguous JSON (and the positions wrong).
    if (new Set(format.fields.map((field) => field.name)).size !== format.fields.length) {
      throw new Error(`${format.kind} ${format.type} leaf: a field name appears twice`);
    }
    // The sort canonicalize uses (Array#sort: UTF-16 code units), not localeCompare.
    const sorted = [...format.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.literals = [];
    this.sources = [];
    let literal = '{';
    for (const [position, field] of sorted.entries()) {
      if (!isWellFormed(field.name)) throw new Error(`${format.kind} leaf: field name with a lone surrogate`);
      literal += `${position === 0 ? '' : ','}${JSON.stringify(field.name)}:`;
      if (field.constant !== undefined) {
        literal += JSON.stringify(field.constant);
      } else {
        this.literals.push(literal);
        this.sources.push(format.valueFields.indexOf(field.name));
        literal = '';
      }
    }
    this.literals.push(`${literal}}`);
  }

  /**
   * The leaf text of `row`, whose members named as the format's value fields are read (others, such
   * as `search_text`, ignored). Each must be present: a string for a text field, a safe integer for
   * a bigint one (epoch ms, counts), or null for either.
   */
  encodeText(row: Readonly<Record<string, unknown>>): string {
    const { literals, sources, fields } = this;
    let text = literals[0] ?? '';
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i] ?? 0;
      text += this.valueText(row[(fields[source] as LeafField).name], source) + (literals[i + 1] ?? '');
    }
    return text;
  }

  /** The leaf bytes (UTF-8) of `row`; see encodeText. */
  encode(row: Readonly<Record<string, unknown>>): Buffer {
    return Buffer.from(this.encodeText(row), 'utf8');
  }

  /**
   * The leaf text of `values`, given in `format.valueFields` order (a store's `rowMode: 'array'`
   * read of those columns); throws a RangeError when their count differs.
   */
  encodeValuesText(values: readonly unknown[]): string {
    const { literals, sources } = this;
    if (values.length !== sources.length) {
      throw new RangeError(
        `${this.format.kind} ${this.format.type} leaf: ${sources.length} values, not ${values.length}`,
      );
    }
    let text = literals[0] ?? '';
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i] ?? 0;
      text += this.valueText(values[source], source) + (literals[i + 1] ?? '');
    }
    return text;
  }

  /** The leaf bytes (UTF-8) of positional `values`; see encodeValuesText. */
  encodeValues(values: readonly unknown[]): Buffer {
    return Buffer.from(this.encodeValuesText(values), 'utf8');
  }

  /**
   * The leaf as an object without prototype (constants included, keys in declared order): what `canonicalize`
   * is given to check the fast path. Throws as encode does.
   */
  leafObject(row: Readonly<Record<string, unknown>>): Record<string, LeafValue> {
    // Without a prototype, a member named __proto__ is a member, not the object's prototype.
    const leaf = Object.create(null) as Record<string, LeafValue>;
    for (const field of this.format.fields) {
      if (field.constant !== undefined) {
        leaf[field.name] = field.constant;
      } else {
        const value = row[field.name];
        this.valueText(value, this.format.valueFields.indexOf(field.name));
        leaf[field.name] = value as LeafValue;
      }
    }
    return leaf;
  }

  /** The JSON of the value of value field `index`; throws a TypeError for a value it may not hold. */
  private valueText(value: unknown, index: number): string {
    if (typeof value === 'string') {
      if (!this.integers[index]) {
        // ES QuoteJSONString leaves every other code unit as it is: quoting by hand skips a native
        // call (about 60 ns a string, half the encoding time).
        if (!NEEDS_ESCAPE_OR_CHECK.test(value)) return `"${value}"`;
        // JSON.stringify would write a lone surrogate as an escape; canonicalize (and PostgreSQL) refuse it.
        if (isWellFormed(value)) return JSON.stringify(value);
        throw this.refusal(index, 'a string without lone surrogates', value);
      }
    } else if (typeof value === 'number') {
      // -0 is a safe integer and writes as 0 both here and in canonicalize.
      if (this.integers[index] && Number.isSafeInteger(value)) return String(value);
    } else if (value === null) {
      return 'null';
    }
    throw this.refusal(index, this.integers[index] ? 'a safe integer or null' : 'a string or null', value);
  }

  private refusal(index: number, expected: string, value: unknown): TypeError {
    const field = this.fields[index] as LeafField;
    return new TypeError(
      `${this.format.kind} ${this.format.type} leaf: ${field.name} must be ${expected}, not ${describe(value)}`,
    );
  }
}

/**
 * What JSON.stringify escapes (quote, backslash, C0 controls; \p{Cc} adds DEL and C1, harmlessly) and
 * lone surrogates (\p{Cs} in a `u` pattern): a string with none is its own JSON text between quotes.
 */
const NEEDS_ESCAPE_OR_CHECK = /["\\\p{Cc}\p{Cs}]/u;

function isWellFormed(text: string): boolean {
  return (text as unknown as WellFormedCheck).isWellFormed();
}

/** A refused value for an error message: its type, and the value itself when short and harmless. */
function describe(value: unknown): string {
  if (value === undefined) return 'undefined (missing)';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'string') return `a string of ${value.length} UTF-16 units`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${Object.prototype.toString.call(value)})` : typeof value;
}

/** The encoder of every kind's record leaves, by kind name. */
export const RECORD_LEAF_ENCODERS: ReadonlyMap<string, LeafEncoder> = new Map(
  [...RECORD_LEAF_FORMATS].map(([kind, format]) => [kind, new LeafEncoder(format)]),
);

/** The record-leaf encoder of `kind`; throws for a name that is no kind. */
export function recordLeafEncoder(kind: string): LeafEncoder {
  const encoder = RECORD_LEAF_ENCODERS.get(kind);
  if (encoder === undefined) throw new Error(`no log kind ${kind}`);
  return encoder;
}

/**
 * The encoder of communication-log transition leaves; its rows carry the transition's 1-based rank
 * among its log's transitions as `transition` (not a stored column).
 */
export const TRANSITION_LEAF_ENCODER = new LeafEncoder(TRANSITION_LEAF_FORMAT);

/**
 * Checks the fast path against `canonicalize` on `rows`: the object and the positional encodings
 * must both equal canonicalize's text of the leaf object. Throws an Error naming the first row that
 * differs; a row the encoder refuses throws its TypeError.
 */
export function checkLeafEncoder(
  encoder: LeafEncoder,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
): void {
  for (const [index, row] of rows.entries()) {
    const expected = canonicalize(encoder.leafObject(row));
    const byName = encoder.encodeText(row);
    const byPosition = encoder.encodeValuesText(encoder.format.valueFields.map((name) => row[name]));
    if (byName !== expected || byPosition !== expected) {
      throw new Error(
        `${encoder.format.kind} ${encoder.format.type} leaf encoder differs from canonicalize on row ${index}: ` +
          `${JSON.stringify(byName)} / ${JSON.stringify(byPosition)} vs ${JSON.stringify(expected)}`,
      );
    }
  }
}

/** Strings that exercise every class of JSON escape and UTF-8 length. */
const PROBE_STRINGS = [
  '',
  'plain',
  'quote " backslash \\ slash /',
  '\u0000\u0001\u001f\u007f\n\t',
  'é€😀\u2028\ufeff',
];
const PROBE_INTEGERS = [0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_000];

/**
 * Rows that fill every value field of `format` with probing strings, integers and nulls; each field
 * sees every probe across the rows.
 */
export function probeRows(format: LeafFormat): Record<string, LeafValue>[] {
  const count = Math.max(PROBE_STRINGS.length, PROBE_INTEGERS.length) + 1;
  return Array.from({ length: count }, (_, rowIndex) => {
    const row: Record<string, LeafValue> = {};
    for (const [fieldIndex, name] of format.valueFields.entries()) {
      const field = format.fields.find((candidate) => candidate.name === name);
      const probes: readonly LeafValue[] = field?.type === 'bigint' ? PROBE_INTEGERS : PROBE_STRINGS;
      const at = (rowIndex + fieldIndex) % (probes.length + 1);
      row[name] = at === probes.length ? null : (probes[at] ?? null);
    }
    return row;
  });
}

/**
 * The start-up self-check: every kind's record encoder and the transition encoder against
 * `canonicalize` on probeRows. Throws when the fast path would write different bytes (a changed
 * `canonicalize` or JSON.stringify); about 4 ms the first time (cold code), under 1 ms after.
 */
export function selfCheckLeafEncoders(): void {
  for (const encoder of [...RECORD_LEAF_ENCODERS.values(), TRANSITION_LEAF_ENCODER]) {
    checkLeafEncoder(encoder, probeRows(encoder.format));
  }
}
