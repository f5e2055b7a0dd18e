/**
 * Leaf bytes: the golden leaf of each kind (pinned forever: a change here is a new LEAF_VERSION),
 * the fast encoder against two independent RFC 8785 implementations (`canonicalize`, and
 * `json-canonicalize` in tests only), RFC 8785 vectors, and refused values.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalize as jsonCanonicalize } from 'json-canonicalize';
import {
  checkLeafEncoder,
  LeafEncoder,
  RECORD_LEAF_ENCODERS,
  recordLeafEncoder,
  selfCheckLeafEncoders,
  TRANSITION_LEAF_ENCODER,
  type LeafValue,
} from '../../src/integrity/leaves/leaf-encoder.js';
import { LEAF_VERSION, type LeafFormat } from '../../src/integrity/leaves/leaf-format.js';

/**
 * One leaf per kind (and a transition), byte for byte, with the SHA-256 of its UTF-8 bytes. The row
 * encoded is the leaf parsed back: every field is there with its value, so a changed field list,
 * order or escape changes the text. Non-ASCII is written as escapes of this source, not of the JSON.
 */
const GOLDEN: ReadonlyArray<{ encoder: LeafEncoder; leaf: string; sha256: string }> = [
  {
    encoder: recordLeafEncoder('communication-log'),
    leaf: String.raw`{"channel":"email","content":"","created_at":1735689600000,"error":null,"id":"log_01JH8Z3X9Q4W5E6R7T8Y9U0I1O","kind":"communication-log","provider":"sendgrid","recipient":"","response":"s1.AAAAAAAAAAA.cmVzcG9uc2U","sealed":"s1.AAAAAAAAAAA.cmVjaXBpZW50LGNvbnRlbnQ","sent_at":null,"status":"pending","template_id":"welcome","tenant_id":"acme","type":"record","updated_at":1735689600000,"user_id":"user-42","v":1}`,
    sha256: 'a1a867ca457381dfabc01b32b11b125352777c4f11301b23be3d4f354dcabf7d',
  },
  {
    encoder: recordLeafEncoder('mfa-config-audit-log'),
    leaf: String.raw`{"action":"update","id":"mfa_01JH8Z3X9Q4W5E6R7T8Y9U0I1O","kind":"mfa-config-audit-log","message":"","module":"mfa","operator_id":"admin-1","sealed":"s1.BBBBBBBBBBB.bWVzc2FnZQ","target_id":"acme","target_type":"tenant","tenant_id":"acme","timestamp":1735689600000,"type":"record","v":1}`,
    sha256: '76aee29acbe9be44efdea2d5fa189a510706b054a3dcf89203c0ff7cfa27e36d',
  },
  {
    // ext holds a quote, a tab, a backslash, an astral character and a newline; role holds é.
    encoder: recordLeafEncoder('operate-log'),
    leaf:
      String.raw`{"account":"","client_id":"cid-1","ext":"{\"note\":\"tab\there \\ ` +
      '\u{1f600}' +
      String.raw`\"}\n","id":"op_01JH8Z3X9Q4W5E6R7T8Y9U0I1O","kind":"operate-log","merchant_code":"","operate_content":"","operate_geo_info":"","operate_ip_info":"","operate_type":"device_control","project_code":"p-1","record_time":1735689600000,"role":"Administrateur d` +
      '\u00e9l\u00e9gu\u00e9' +
      String.raw`","sealed":"s1.CCCCCCCCCCC.b3BlcmF0ZQ","tenant_id":"tuya-eu","type":"record","uid":"ay1622345678","user_id":"u-7","username":"","v":1}`,
    sha256: '0d6b30abd948e85522f7eed154823495feced8ba31d9f3d29869e64e364b4989',
  },
  {
    encoder: recordLeafEncoder('access-log'),
    leaf: String.raw`{"accessed_at":1735689600000,"actor":"platform-admin","api":"authms","duration_ms":12,"error":"","id":"acc_01JH8Z3X9Q4W5E6R7T8Y9U0I1O","ip":"","kind":"access-log","method":"GET","query":"","route":"/admin/access-logs","row_count":0,"sealed":"s1.DDDDDDDDDDD.YWNjZXNz","status":200,"tenant_id":"","type":"record","v":1}`,
    sha256: '8d901c5ac462bfc8990185558630b247f6ae18c733782bebfefd828891cfdba3',
  },
  {
    encoder: TRANSITION_LEAF_ENCODER,
    leaf: String.raw`{"changed_at":1735689660000,"error":null,"from_status":"sent","kind":"communication-log","log_id":"log_01JH8Z3X9Q4W5E6R7T8Y9U0I1O","prev_error":null,"prev_response":"s1.AAAAAAAAAAA.c2VudA","prev_sent_at":1735689630000,"prev_updated_at":1735689630000,"response":"s1.AAAAAAAAAAA.ZGVsaXZlcmVk","sent_at":null,"tenant_id":"acme","to_status":"delivered","transition":2,"type":"transition","v":1}`,
    sha256: 'd7f25bedf4d3641b49a7a4d35e080d29bdeb18d3d6f03db4f743dd0530c5116d',
  },
];

/** The row of a golden leaf: the leaf's members but the constant ones. */
function goldenRow(index: number): Record<string, unknown> {
  const { leaf = '{}' } = GOLDEN[index] ?? {};
  const members = Object.entries(JSON.parse(leaf) as Record<string, unknown>);
  return Object.fromEntries(members.filter(([name]) => !['v', 'type', 'kind'].includes(name)));
}

test('golden leaves: the bytes of each kind, by name and by position, pinned', () => {
  assert.equal(LEAF_VERSION, 1);
  assert.equal(GOLDEN.length, RECORD_LEAF_ENCODERS.size + 1, 'one golden leaf per kind and the transition');
  for (const [index, { encoder, leaf, sha256 }] of GOLDEN.entries()) {
    const row = goldenRow(index);
    assert.equal(Object.keys(row).length, encoder.format.valueFields.length);
    const bytes = encoder.encode(row);
    assert.equal(bytes.toString('utf8'), leaf, encoder.format.kind);
    assert.deepEqual(encoder.encodeValues(encoder.format.valueFields.map((name) => row[name])), bytes);
    assert.equal(canonicalize(encoder.leafObject(row)), leaf);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sha256, `${encoder.format.kind} bytes`);
  }
});

/** Strings over all of Unicode (astral included; no lone surrogates, which storage refuses), biased to escapes. */
const text = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    fc.constantFrom('"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', '\u0080'),
    fc.constantFrom(
      '\u2028',
      '\u2029',
      '\ufeff',
      '\ud7ff',
      '\ue000',
      '\u{1f600}',
      '\u{10ffff}',
      'e\u0301',
      'x',
    ),
  ),
  maxLength: 40,
});
const safeInteger = fc.oneof(
  fc.maxSafeInteger(),
  fc.integer(),
  fc.constantFrom(0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1735689600000),
);

/** Rows of `format` with arbitrary values of each field's type, nulls included. */
function rows(format: LeafFormat): fc.Arbitrary<Record<string, LeafValue>> {
  const arbitraries: Record<string, fc.Arbitrary<LeafValue>> = {};
  for (const field of format.fields) {
    if (field.constant !== undefined) continue;
    const value: fc.Arbitrary<LeafValue> = field.type === 'bigint' ? safeInteger : text;
    arbitraries[field.name] = fc.option(value, { nil: null, freq: 4 });
  }
  return fc.record(arbitraries);
}

/** The leaf of `row` by both reference implementations, which must agree. */
function referenceLeaf(encoder: LeafEncoder, row: Readonly<Record<string, unknown>>): string {
  const object = encoder.leafObject(row);
  const expected = canonicalize(object);
  assert.equal(jsonCanonicalize(object), expected, 'the two JCS implementations agree');
  return expected ?? '';
}

test('property: every encoder writes what canonicalize and json-canonicalize write', () => {
  for (const encoder of [...RECORD_LEAF_ENCODERS.values(), TRANSITION_LEAF_ENCODER]) {
    fc.assert(
      fc.property(rows(encoder.format), (row) => {
        const expected = referenceLeaf(encoder, row);
        assert.equal(encoder.encodeText(row), expected);
        const values = encoder.format.valueFields.map((name) => row[name]);
        assert.deepEqual(encoder.encodeValues(values), Buffer.from(expected, 'utf8'));
      }),
      { numRuns: 300 },
    );
  }
});

/** A format of the given fields alone (no header), to check key order on arbitrary names. */
function adHocFormat(fields: ReadonlyArray<readonly [string, 'text' | 'bigint']>): LeafFormat {
  return {
    type: 'record',
    kind: 'test',
    fields: fields.map(([name, type]) => ({ name, type, role: 'column' })),
    valueFields: fields.map(([name]) => name),
  };
}

test('property: arbitrary member names (integer-like, astral, escapes) are ordered as JCS orders them', () => {
  const entries = fc.uniqueArray(fc.tuple(text, fc.option(fc.oneof(text, safeInteger), { nil: null })), {
    minLength: 1,
    maxLength: 12,
    selector: ([name]) => name,
  });
  fc.assert(
    fc.property(entries, (list) => {
      const encoder = new LeafEncoder(
        adHocFormat(list.map(([name, value]) => [name, typeof value === 'number' ? 'bigint' : 'text'])),
      );
      const row = Object.fromEntries(list);
      assert.equal(encoder.encodeText(row), referenceLeaf(encoder, row));
    }),
    { numRuns: 500 },
  );
});

// RFC 8785 vectors of cyberphone/json-canonicalization (testdata/input/*.json → testdata/output/*.json,
// commit 19d51d7fe467d4706a3ff08adf8a748f29fc21e0): those whose members are all strings, and the
// `string` member of values.json. Non-ASCII is written as escapes of this source, not of the JSON.
const VECTORS: ReadonlyArray<{ name: string; input: Record<string, string>; output: string }> = [
  {
    name: 'french.json',
    input: {
      peach: 'This sorting order',
      'p\u00e9ch\u00e9': 'is wrong according to French',
      'p\u00eache': 'but canonicalization MUST',
      sin: 'ignore locale',
    },
    output:
      '{"peach":"This sorting order","p\u00e9ch\u00e9":"is wrong according to French",' +
      '"p\u00eache":"but canonicalization MUST","sin":"ignore locale"}',
  },
  {
    name: 'unicode.json',
    input: { 'Unnormalized Unicode': 'A\u030a' },
    output: '{"Unnormalized Unicode":"A\u030a"}',
  },
  {
    name: 'weird.json',
    input: {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\n': 'Newline',
      '1': 'One',
      '\u0080': 'Control\u007f',
      '\u{1f602}': 'Smiley',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '</script>': 'Browser Challenge',
    },
    output:
      String.raw`{"\n":"Newline","\r":"Carriage Return","1":"One","</script>":"Browser Challenge",` +
      '"\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
      '"\u{1f602}":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  },
  {
    name: 'values.json (string)',
    input: { string: '\u20ac$\u000f\nA\'B"\\\\"/' },
    output: '{"string":"\u20ac' + String.raw`$\u000f\nA'B\"\\\\\"/"}`,
  },
];

test('RFC 8785 vectors: the encoder writes the published bytes', () => {
  for (const { name, input, output } of VECTORS) {
    const encoder = new LeafEncoder(adHocFormat(Object.keys(input).map((key) => [key, 'text'])));
    assert.equal(encoder.encodeText(input), output, name);
    assert.equal(canonicalize(input), output, `canonicalize: ${name}`);
    assert.equal(jsonCanonicalize(input), output, `json-canonicalize: ${name}`);
  }
  // The whole of values.json, numbers included, checks the two references themselves.
  const values = {
    numbers: [Number('333333333.33333329'), 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
    string: '\u20ac$\u000f\nA\'B"\\\\"/',
    literals: [null, true, false],
  };
  const output =
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"\u20ac' +
    String.raw`$\u000f\nA'B\"\\\\\"/"}`;
  assert.equal(canonicalize(values), output);
  assert.equal(jsonCanonicalize(values), output);
});

test('values a leaf may not hold are refused with a TypeError naming the field', () => {
  const encoder = recordLeafEncoder('access-log');
  const base = goldenRow(3);
  const refusals: ReadonlyArray<readonly [string, unknown]> = [
    ...[42, 10n, true, undefined, {}, [], new Date(0), 'a\ud800b', '\udc00'].map(
      (value) => ['id', value] as const,
    ),
    ...[1.5, 2 ** 53, -(2 ** 53), NaN, Infinity, -Infinity, '1735689600000', 10n, false, undefined, {}].map(
      (value) => ['accessed_at', value] as const,
    ),
  ];
  for (const [field, value] of refusals) {
    const row: Record<string, unknown> = { ...base, [field]: value };
    const message = new RegExp(`^access-log record leaf: ${field} must be `);
    assert.throws(() => encoder.encode(row), { name: 'TypeError', message }, `${field} = ${String(value)}`);
    const values = encoder.format.valueFields.map((name) => row[name]);
    assert.throws(() => encoder.encodeValues(values), { name: 'TypeError', message });
    assert.throws(() => {
      checkLeafEncoder(encoder, [row]);
    }, TypeError);
  }
  assert.throws(() => encoder.encodeValues([]), RangeError);
  assert.throws(
    () => TRANSITION_LEAF_ENCODER.encode({ ...goldenRow(4), transition: 2.5 }),
    /transition must be/,
  );
  assert.throws(() => recordLeafEncoder('no-such-kind'), /no log kind/);
  selfCheckLeafEncoders();
});
