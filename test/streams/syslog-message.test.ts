import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import type { StreamEvent } from '../../src/streams/destinations/destination.js';
import { eventJson } from '../../src/streams/destinations/event-json.js';
import {
  SyslogDestination,
  SyslogDestinationSchema,
  type SyslogDestinationConfig,
} from '../../src/streams/destinations/syslog-destination.js';
import {
  escapeParamValue,
  formatSyslogMessage,
  frameOctetCounted,
  MAX_STRUCTURED_DATA_BYTES,
  syslogHeader,
  syslogTimestamp,
} from '../../src/streams/destinations/syslog-message.js';
import { parseStructuredData, sdParams } from '../helpers/structured-data.js';

const HEADER = syslogHeader({
  facility: 'local0',
  hostname: 'audit-1',
  appName: 'sealog',
  enterpriseNumber: 32473,
});
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function event(record: Record<string, unknown>, overrides: Partial<StreamEvent> = {}): StreamEvent {
  return {
    id: 't1/communication-log/7',
    kind: 'communication-log',
    tenant_id: 't1',
    leaf_index: 7,
    record_id: 'com_1',
    transition: 0,
    time: Date.UTC(2026, 4, 15, 8, 30, 0, 120),
    record: { tenant_id: 't1', ...record },
    ...overrides,
  };
}

/** The message as text, split at the BOM into what precedes it and the MSG after it. */
function split(message: Buffer): { head: string; msg: string } {
  const bom = message.indexOf(BOM);
  assert.ok(bom > 0, 'the MSG starts with a BOM');
  return { head: message.subarray(0, bom).toString('utf8'), msg: message.subarray(bom + 3).toString('utf8') };
}

describe('formatSyslogMessage', () => {
  test('writes the RFC 5424 header, the two SD-ELEMENTs and the event JSON after a BOM', () => {
    const sample = event({ id: 'com_1', status: 'sent' });
    const { head, msg } = split(formatSyslogMessage(sample, HEADER));
    assert.equal(
      head,
      '<134>1 2026-05-15T08:30:00.120Z audit-1 sealog - communication-log ' +
        '[sealog@32473 id="t1/communication-log/7" tenant="t1" kind="communication-log" leaf="7" record="com_1" transition="0"]' +
        '[record@32473 tenant_id="t1" id="com_1" status="sent"] ',
    );
    assert.deepEqual(JSON.parse(msg), JSON.parse(JSON.stringify(eventJson(sample))));
  });

  test('PRI is facility × 8 + 6 (info), and the SD-IDs follow the enterprise number', () => {
    const header = syslogHeader({ facility: 'audit', hostname: 'h', appName: 'a', enterpriseNumber: 99 });
    const text = formatSyslogMessage(event({}), header).toString('utf8');
    assert.match(text, /^<110>1 /);
    assert.match(text, /\[sealog@99 .*\]\[record@99 tenant_id="t1"\]/);
  });

  test('escapes ", \\ and ] in PARAM-VALUEs and keeps other text, non-ASCII included, as UTF-8', () => {
    const note = 'say "hi" \\ [x] ]] é 日本 🔒';
    const { head } = split(formatSyslogMessage(event({ note }), HEADER));
    assert.ok(head.includes(`note="${escapeParamValue(note)}"`));
    assert.equal(escapeParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
    const sd = parseStructuredData(head.slice(head.indexOf('['), -1));
    assert.equal(sdParams(sd, 'record@32473').note, note);
  });

  test('stringifies record values: null empty, numbers and booleans as text, nested values as JSON', () => {
    const { head } = split(
      formatSyslogMessage(
        event({ n: 1.5, ok: false, none: null, list: [1, 'a'], nested: { a: { b: 'c]' } }, gone: undefined }),
        HEADER,
      ),
    );
    const params = sdParams(parseStructuredData(head.slice(head.indexOf('['), -1)), 'record@32473');
    assert.deepEqual(params, {
      tenant_id: 't1',
      n: '1.5',
      ok: 'false',
      none: '',
      list: '[1,"a"]',
      nested: '{"a":{"b":"c]"}}',
    });
  });

  test('leaves fields whose names are no PARAM-NAME out of the SD, and keeps them in the MSG', () => {
    const odd = {
      'has space': 1,
      'a=b': 2,
      'a]b': 3,
      'a"b': 4,
      é: 5,
      '': 6,
      ['x'.repeat(33)]: 7,
      ['y'.repeat(32)]: 8,
    };
    const { head, msg } = split(formatSyslogMessage(event(odd), HEADER));
    const params = sdParams(parseStructuredData(head.slice(head.indexOf('['), -1)), 'record@32473');
    assert.deepEqual(Object.keys(params), ['tenant_id', 'y'.repeat(32)]);
    assert.deepEqual((JSON.parse(msg) as { record: unknown }).record, { tenant_id: 't1', ...odd });
  });

  test('keeps STRUCTURED-DATA within 65,535 bytes, leaving out the fields that do not fit', () => {
    const sdOf = (record: Record<string, unknown>): string => {
      const { head } = split(formatSyslogMessage(event(record), HEADER));
      return head.slice(head.indexOf('['), -1);
    };
    const overhead = Buffer.byteLength(sdOf({ note: '' }));
    const room = MAX_STRUCTURED_DATA_BYTES - overhead;
    const fits = 'é'.repeat(Math.floor(room / 2)) + 'x'.repeat(room % 2);
    assert.equal(Buffer.byteLength(sdOf({ note: fits })), MAX_STRUCTURED_DATA_BYTES);
    assert.equal(sdParams(parseStructuredData(sdOf({ note: fits })), 'record@32473').note, fits);
    const params = sdParams(parseStructuredData(sdOf({ a: 1, note: `${fits}x`, c: 'kept' })), 'record@32473');
    assert.deepEqual(params, { tenant_id: 't1', a: '1', c: 'kept' });
  });

  test('MSGID is NILVALUE for a kind that is no 1–32 printable ASCII', () => {
    const text = formatSyslogMessage(event({}, { kind: 'k'.repeat(33) }), HEADER).toString('utf8');
    assert.match(text, / sealog - - \[sealog@32473 /);
  });

  test('TIMESTAMP always has milliseconds, and is NILVALUE where 4 digits cannot hold the year', () => {
    assert.equal(syslogTimestamp(Date.UTC(2026, 0, 1)), '2026-01-01T00:00:00.000Z');
    assert.equal(syslogTimestamp(Date.UTC(10000, 0, 1)), '-');
    assert.equal(syslogTimestamp(Date.UTC(-1, 0, 1)), '-');
    assert.equal(syslogTimestamp(Number.NaN), '-');
  });

  test('an event JSON cannot hold fails to format', () => {
    assert.throws(() => formatSyslogMessage(event({ big: 1n }), HEADER), TypeError);
  });
});

describe('frameOctetCounted', () => {
  test('prefixes the length in bytes, not characters', () => {
    const framed = frameOctetCounted(Buffer.from('é🔒', 'utf8'));
    assert.equal(framed.toString('utf8'), '6 é🔒');
  });
});

describe('syslog configuration', () => {
  const base: SyslogDestinationConfig = { type: 'syslog', host: '127.0.0.1', port: 6514, transport: 'tls' };

  test('header settings must be printable US-ASCII within RFC 5424 limits', () => {
    const settings = { facility: 'local0', hostname: 'h', appName: 'a', enterpriseNumber: 32473 };
    for (const [change, message] of [
      [{ facility: 'local8' }, /facility must be one of kern, user, .*local7/],
      [{ facility: 'toString' }, /facility must be one of/],
      [{ hostname: 'a b' }, /hostname must be 1 to 255 printable US-ASCII/],
      [{ hostname: 'h'.repeat(256) }, /hostname must be 1 to 255/],
      [{ hostname: 'hé' }, /hostname/],
      [{ hostname: '' }, /hostname/],
      [{ appName: 'a'.repeat(49) }, /app_name must be 1 to 48/],
      [{ enterpriseNumber: 0 }, /enterprise_number must be a positive integer/],
    ] as const) {
      assert.throws(() => syslogHeader({ ...settings, ...change }), message);
    }
    assert.equal(syslogHeader({ ...settings, hostname: 'h'.repeat(255) }).hostname.length, 255);
  });

  test('the destination checks its settings when it is made, not when it sends', () => {
    const invalid: [Partial<SyslogDestinationConfig>, RegExp][] = [
      [{ transport: 'tcp', ca: 'x' }, /ca and server_name apply to transport tls only/],
      [{ ca: 'not a certificate' }, /ca must hold PEM certificates/],
      [
        { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
        /ca: certificate 1 does not parse/,
      ],
      [{ port: 0 }, /port must be an integer from 1 to 65535/],
      [{ timeout_ms: 0 }, /timeout_ms must be a positive integer/],
      [{ app_name: 'sea log' }, /app_name/],
    ];
    for (const [change, message] of invalid) {
      assert.throws(() => new SyslogDestination({ ...base, ...change }), message);
    }
  });

  test('the schema accepts what the interface describes and refuses what RFC 5424 cannot carry', () => {
    const full: SyslogDestinationConfig = {
      ...base,
      ca: 'PEM',
      server_name: 'siem.example.com',
      facility: 'authpriv',
      hostname: 'audit-1.example.com',
      app_name: 'sealog',
      enterprise_number: 32473,
      timeout_ms: 5000,
    };
    // Both ways assignable: the interface and the schema describe the same fields.
    const checked: Static<typeof SyslogDestinationSchema> = full;
    const back: SyslogDestinationConfig = checked;
    assert.ok(Value.Check(SyslogDestinationSchema, back));
    assert.ok(Value.Check(SyslogDestinationSchema, base));
    for (const change of [
      { app_name: 'a b' },
      { hostname: 'hé' },
      { facility: 'local8' },
      { transport: 'udp' },
      { extra: 1 },
    ]) {
      assert.equal(
        Value.Check(SyslogDestinationSchema, { ...base, ...change }),
        false,
        JSON.stringify(change),
      );
    }
  });
});
