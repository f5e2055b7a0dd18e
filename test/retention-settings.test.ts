/**
 * Retention settings over real HTTP, on either store (TEST_STORE): the kinds' defaults, the
 * RETENTION setting over them, tenants' overrides that only the platform admin sets and that the
 * tenant's admins read, refusals that change nothing, and overrides that outlive a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type ApiResponse, type TestServer } from './helpers/test-server.js';

const PATH = '/v1/retention';

/** The kinds' defaults with RETENTION below: what a tenant without overrides gets. */
const BASE_POLICY = {
  'communication-logs': { period: '180d', source: 'default' },
  'communication-logs.content': { period: '7d', source: 'setting' },
  'mfa-config-audit-logs': { period: '730d', source: 'default' },
  'operate-logs': { period: '400d', source: 'setting' },
  'access-logs': { period: '365d', source: 'default' },
};

/** An error answer in the AuthMS shape, with `status`; its message returned. */
function refusal(response: ApiResponse, status: number): string {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body), ['code', 'message', 'timestamp']);
  assert.equal(response.body.code, status);
  assert.equal(typeof response.body.message, 'string');
  return response.body.message as string;
}

describe('retention settings', () => {
  let api: TestServer;
  let platformAdmin: string;
  let adminOfA: string;
  let adminOfB: string;

  const get = (tenant: string, token = platformAdmin) => api.request('GET', `${PATH}/${tenant}`, { token });
  const put = (tenant: string, body: unknown, token = platformAdmin) =>
    api.request('PUT', `${PATH}/${tenant}`, { token, body });

  /** The policy of `tenant` as the platform admin reads it. */
  async function policyOf(tenant: string): Promise<unknown> {
    const response = await get(tenant);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.policy;
  }

  before(async () => {
    api = await startTestServer({ RETENTION: 'operate-logs=400d, communication-logs.content=7d' });
    platformAdmin = await api.token({ sub: 'usr_root', roles: ['admin'] });
    adminOfA = await api.token({ sub: 'usr_a', tenant_id: 'tnt_a', roles: ['admin'] });
    adminOfB = await api.token({ sub: 'usr_b', tenant_id: 'tnt_b', roles: ['admin'] });
  });
  after(() => api.close());

  test('a tenant without overrides has the kinds’ defaults, replaced by RETENTION where it says', async () => {
    const response = await get('tnt_a');
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body), ['code', 'message', 'tenant_id', 'policy', 'timestamp']);
    assert.equal(response.body.code, 200);
    assert.equal(response.body.tenant_id, 'tnt_a');
    assert.deepEqual(response.body.policy, BASE_POLICY);
  });

  test('the platform admin sets a tenant’s periods; its admins read them, other tenants keep theirs', async () => {
    const changed = await put('tnt_a', { 'communication-logs': '90d', 'access-logs': 'forever' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const expected = {
      ...BASE_POLICY,
      'communication-logs': { period: '90d', source: 'tenant' },
      'access-logs': { period: 'forever', source: 'tenant' },
    };
    assert.deepEqual(changed.body.policy, expected);
    assert.equal(changed.body.tenant_id, 'tnt_a');

    const read = await get('tnt_a', adminOfA);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.policy, expected);
    assert.deepEqual(await policyOf('tnt_b'), BASE_POLICY);

    // A partial update leaves the other keys as they were.
    const more = await put('tnt_a', { 'communication-logs.content': '12h' });
    assert.equal(more.status, 200, JSON.stringify(more.body));
    assert.deepEqual(more.body.policy, {
      ...expected,
      'communication-logs.content': { period: '12h', source: 'tenant' },
    });
  });

  test('an admin of another tenant, a writer and a user may not read a tenant’s retention', async () => {
    assert.match(refusal(await get('tnt_a', adminOfB), 403), /outside the token's tenant/);
    const writer = await api.token({ sub: 'svc', tenant_id: 'tnt_a', roles: ['audit:write'] });
    refusal(await get('tnt_a', writer), 403);
    const user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a' });
    refusal(await get('tnt_a', user), 403);
    refusal(await api.request('GET', `${PATH}/tnt_a`), 401);
  });

  test('only the platform admin changes retention: a tenant admin’s PUT is refused', async () => {
    const before = await policyOf('tnt_a');
    assert.match(refusal(await put('tnt_a', { 'operate-logs': '1d' }, adminOfA), 403), /platform admin/);
    assert.match(refusal(await put('tnt_b', { 'operate-logs': '1d' }, adminOfA), 403), /platform admin/);
    assert.deepEqual(await policyOf('tnt_a'), before);
    assert.deepEqual(await policyOf('tnt_b'), BASE_POLICY);
  });

  test('a bad period, an unknown key or a field outliving its record is a 400 that changes nothing', async () => {
    const before = await policyOf('tnt_a');
    const refusals: [unknown, RegExp][] = [
      [
        { 'mfa-config-audit-logs': '30x', 'operate-logs': '10d' },
        /"30x" is no period.*<n>d \(days, 1 to 36500\)/,
      ],
      [{ 'operate-logs': '0d' }, /"0d" is no period/],
      [{ 'operate-logs': '36501d' }, /"36501d" is no period/],
      [{ 'operate-logs': '7 d' }, /no period/],
      [
        { 'operate-log': '10d', 'operate-logs': '10d' },
        /unknown key "operate-log": the keys are communication-logs, /,
      ],
      [{ 'operate-logs': 30 }, /operate-logs must be a string or null/],
      [['operate-logs'], /body must be/],
      [
        { 'communication-logs.content': '200d' },
        /communication-logs.content would be kept 200d, longer than its record \(communication-logs: 90d\)/,
      ],
      [{ 'communication-logs.content': 'forever' }, /longer than its record/],
      // Shortening the record below its field's period is refused the same way.
      [
        { 'communication-logs': '6h' },
        /communication-logs.content would be kept 12h, longer than its record/,
      ],
    ];
    for (const [body, message] of refusals) {
      assert.match(refusal(await put('tnt_a', body), 400), message, JSON.stringify(body));
    }
    assert.deepEqual(await policyOf('tnt_a'), before);
    refusal(await put('tnt_c', { 'communication-logs': '1d' }), 400);
    assert.deepEqual(await policyOf('tnt_c'), BASE_POLICY);
  });

  test('both shortened at once is accepted; null removes an override', async () => {
    const both = await put('tnt_c', { 'communication-logs': '2d', 'communication-logs.content': '1d' });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    const cleared = await put('tnt_c', { 'communication-logs': null, 'communication-logs.content': null });
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.deepEqual(cleared.body.policy, BASE_POLICY);
    const cleared2 = await put('tnt_a', { 'access-logs': null, 'mfa-config-audit-logs': null });
    assert.equal(cleared2.status, 200, JSON.stringify(cleared2.body));
    assert.deepEqual(cleared2.body.policy, {
      ...BASE_POLICY,
      'communication-logs': { period: '90d', source: 'tenant' },
      'communication-logs.content': { period: '12h', source: 'tenant' },
    });
  });

  test('overrides outlive a restart on the same store', async () => {
    const before = await policyOf('tnt_a');
    await api.restart();
    assert.deepEqual(await policyOf('tnt_a'), before);
    assert.deepEqual(await policyOf('tnt_c'), BASE_POLICY);
    const store = await api.reopenStore();
    try {
      const tenants = await store.retentionOverrides.list();
      assert.deepEqual(
        tenants.map(({ tenantId, overrides }) => [
          tenantId,
          overrides.map((o) => `${o.policyKey}=${o.period}`),
        ]),
        [['tnt_a', ['communication-logs=90d', 'communication-logs.content=12h']]],
      );
      assert.equal(tenants[0]?.overrides[1]?.updatedBy, 'usr_root');
    } finally {
      await store.close();
    }
  });
});
