/**
 * Periods, policy keys and the RETENTION setting: what parses, what is refused and how the message
 * says what is accepted, and how defaults, the setting and a tenant's overrides combine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config.js';
import { COMMUNICATION_LOG_TABLE } from '../../src/kinds/communication-log/communication-log-table.js';
import { LOG_TABLES } from '../../src/kinds/log-tables.js';
import { OPERATE_LOG_TABLE } from '../../src/kinds/operate-log/operate-log-table.js';
import {
  formatPeriod,
  parsePeriod,
  periodMs,
  type RetentionPeriod,
} from '../../src/retention/retention-period.js';
import { defaultPeriod, POLICY_KEYS, resolvePolicy } from '../../src/retention/retention-policy.js';

const period = (text: string): RetentionPeriod => {
  const parsed = parsePeriod(text);
  assert.ok(parsed, text);
  return parsed;
};

test('periods: <n>d, <n>h or forever, n from 1 up to a century; formatted back as written', () => {
  for (const text of ['1d', '180d', '36500d', '1h', '876000h', 'forever']) {
    assert.equal(formatPeriod(period(text)), text);
  }
  for (const text of [
    '0d',
    '36501d',
    '876001h',
    '07d',
    '-1d',
    '1.5d',
    '1w',
    '1D',
    ' 1d',
    '1d ',
    '',
    'Forever',
    'd',
  ]) {
    assert.equal(parsePeriod(text), undefined, text);
  }
  assert.equal(periodMs(period('2d')), 2 * 86_400_000);
  assert.equal(periodMs(period('3h')), 3 * 3_600_000);
  assert.equal(periodMs(period('forever')), undefined);
});

test('every kind has a default that parses; the keys are the kinds in the plural and their fields', () => {
  for (const table of LOG_TABLES) assert.ok(defaultPeriod(table), table.kind);
  assert.deepEqual(
    POLICY_KEYS.map((key) => key.key),
    [
      'communication-logs',
      'communication-logs.content',
      'mfa-config-audit-logs',
      'operate-logs',
      'access-logs',
    ],
  );
  assert.deepEqual(
    Object.fromEntries(LOG_TABLES.map((table) => [table.kind, table.retention.defaultPeriod])),
    {
      'communication-log': '180d',
      'mfa-config-audit-log': '730d',
      'operate-log': '365d',
      'access-log': '365d',
    },
  );
});

test('RETENTION: unset is every default; set keys replace them; a field follows its record', () => {
  assert.equal(parseConfig({}).retention.size, 0);
  const { retention } = parseConfig({ RETENTION: ' communication-logs=30d ,, operate-logs=forever,' });
  const base = resolvePolicy(retention);
  assert.deepEqual(base.ofKind(COMMUNICATION_LOG_TABLE), { period: period('30d'), source: 'setting' });
  assert.deepEqual(base.ofField(COMMUNICATION_LOG_TABLE, 'content'), {
    period: period('30d'),
    source: 'default',
  });
  assert.deepEqual(base.ofKind(OPERATE_LOG_TABLE), { period: period('forever'), source: 'setting' });
  const tenant = resolvePolicy(retention, new Map([['communication-logs.content', period('12h')]]));
  assert.deepEqual(tenant.ofField(COMMUNICATION_LOG_TABLE, 'content'), {
    period: period('12h'),
    source: 'tenant',
  });
  // An override left longer than its record by a later RETENTION is cut to the record's period.
  const outlived = resolvePolicy(retention, new Map([['communication-logs.content', period('60d')]]));
  assert.deepEqual(outlived.ofField(COMMUNICATION_LOG_TABLE, 'content'), {
    period: period('30d'),
    source: 'tenant',
  });
});

test('RETENTION refuses what it cannot use, saying what is accepted', () => {
  const refused = (raw: string, message: RegExp) => {
    assert.throws(
      () => parseConfig({ RETENTION: raw }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'RETENTION' && message.test(error.message),
      raw,
    );
  };
  refused(
    'operate-log=30d',
    /^RETENTION has no key "operate-log": the keys are communication-logs, communication-logs.content, /,
  );
  refused(
    'operate-logs=30',
    /^RETENTION operate-logs=30: a period is <n>d \(days, 1 to 36500\), <n>h .* or forever$/,
  );
  refused('operate-logs', /entries must look like key=period/);
  refused('operate-logs=1d,operate-logs=2d', /names operate-logs twice/);
  refused(
    'communication-logs.content=200d',
    /communication-logs.content would be kept 200d, longer than its record \(communication-logs: 180d\)/,
  );
  refused('communication-logs=1d,communication-logs.content=forever', /longer than its record/);
});
