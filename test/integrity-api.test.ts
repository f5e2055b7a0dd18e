/**
 * The integrity API as an auditor uses it, over real HTTP: sign a checkpoint, fetch the key, prove
 * records and growth, rebuild the tree from the leaves. Every proof and signature is checked by
 * code written in the tests apart from src/ (RFC 9162 verifiers, @noble/ed25519).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import {
  hashLeaf,
  merkleTreeHash,
  verifyConsistency,
  verifyInclusion,
} from './helpers/independent-merkle.js';
import { checkpointBody, verifiesIndependently } from './helpers/independent-note.js';
import { waitFor } from './helpers/wait-for.js';

const BASE = '/v1/integrity/operate-log';

function operateLog(id: string, record_time: number) {
  const who = { uid: 'u1', username: 'alice', user_id: 'usr_1', role: 'admin', account: 'a@example.com' };
  const where = { operate_geo_info: 'Hangzhou', operate_ip_info: '10.0.0.1', client_id: 'app1', ext: '{}' };
  return {
    id,
    record_time,
    ...who,
    ...where,
    operate_type: 'login',
    operate_content: `did ${id}`,
    merchant_code: 'm1',
    project_code: 'p1',
  };
}

describe('the integrity API', () => {
  let api: TestServer;
  let admin: string;

  /** A text/plain (or any) answer, unparsed. */
  async function raw(method: string, path: string, token = admin, accept?: string) {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(accept === undefined ? {} : { accept }) },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** Signs until the checkpoint covers `size` leaves (numbering and hashing follow a write shortly). */
  async function checkpointOf(size: number): Promise<string> {
    let note = '';
    await waitFor(`a checkpoint of ${size} leaves`, async () => {
      const signed = await raw('POST', `${BASE}/checkpoint`);
      assert.ok(signed.status === 200 || signed.status === 201, signed.text);
      note = signed.text;
      return checkpointBody(note).size === size;
    });
    return note;
  }

  before(async () => {
    api = await startTestServer();
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_a', roles: ['admin'] });
  });
  after(async () => {
    await api.close();
  });

  test('a checkpoint is signed by the key the API names, and proves each record and the growth of the log', async () => {
    assert.equal((await raw('GET', `${BASE}/checkpoint`)).status, 404);
    await api.ingest(
      'operate-logs',
      'tnt_a',
      ['op_3', 'op_1', 'op_2', 'op_5', 'op_4'].map((id, n) => operateLog(id, 1_767_225_600_000 + n)),
    );
    await api.ingest('operate-logs', 'tnt_b', [operateLog('op_b', 1_767_225_600_000)]);
    const first = await checkpointOf(5);
    const { status, body: key } = await api.request('GET', `${BASE}/key`, { token: admin });
    assert.equal(status, 200);
    assert.ok(await verifiesIndependently(first, String(key.verifier_key)), first);
    const head = checkpointBody(first);
    assert.equal(head.origin, key.origin);
    assert.match(head.origin, /\/tnt_a\/operate-log$/);
    assert.equal((await raw('GET', `${BASE}/checkpoint`)).text, first);

    for (const id of ['op_1', 'op_4']) {
      const { status: found, body } = await api.request('GET', `${BASE}/inclusion?id=${id}`, {
        token: admin,
      });
      assert.equal(found, 200, JSON.stringify(body));
      const leaf = Buffer.from(String(body.leaf), 'base64');
      assert.equal((JSON.parse(leaf.toString('utf8')) as { id: string }).id, id);
      const proof = (body.proof as string[]).map((hash) => Buffer.from(hash, 'base64'));
      assert.ok(verifyInclusion(Number(body.leaf_index), head.size, hashLeaf(leaf), proof, head.root));
      assert.equal(body.checkpoint, first);
    }

    await api.ingest(
      'operate-logs',
      'tnt_a',
      ['op_7', 'op_6'].map((id) => operateLog(id, 1_767_225_700_000)),
    );
    const second = checkpointBody(await checkpointOf(7));
    const { body: consistency } = await api.request('GET', `${BASE}/consistency?from=5&to=7`, {
      token: admin,
    });
    const proof = (consistency.proof as string[]).map((hash) => Buffer.from(hash, 'base64'));
    assert.ok(verifyConsistency(5, 7, head.root, second.root, proof));

    const ndjson = await raw('GET', `${BASE}/leaves?start=0&limit=100`, admin, 'application/x-ndjson');
    const leaves = ndjson.text.split('\n').filter((line) => line !== '');
    assert.equal(leaves.length, 7);
    assert.deepEqual(merkleTreeHash(leaves.map((leaf) => hashLeaf(Buffer.from(leaf, 'utf8')))), second.root);
    const { body: page } = await api.request('GET', `${BASE}/leaves?start=5`, { token: admin });
    assert.deepEqual(
      page.leaves,
      leaves.slice(5).map((leaf) => Buffer.from(leaf, 'utf8').toString('base64')),
    );
  });

  test('a record in no checkpoint yet is a 409 saying when to retry; unknown ones are 404', async () => {
    await api.ingest('operate-logs', 'tnt_a', [operateLog('op_late', 1_767_225_800_000)]);
    const late = await api.request('GET', `${BASE}/inclusion?id=op_late`, { token: admin });
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.match(String(late.body.message), /POST …\/checkpoint|retry/);
    assert.ok(Number(late.headers.get('retry-after')) >= 1);
    assert.equal((await api.request('GET', `${BASE}/inclusion?id=op_nope`, { token: admin })).status, 404);
    assert.equal((await api.request('GET', '/v1/integrity/no-such-log/key', { token: admin })).status, 400);
  });

  test('tenants never see each other’s logs, and only admins see any', async () => {
    const other = await api.token({ sub: 'usr_b', tenant_id: 'tnt_b', roles: ['admin'] });
    assert.equal((await api.request('GET', `${BASE}/key?tenant_id=tnt_a`, { token: other })).status, 403);
    const user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_a', roles: [] });
    assert.equal((await api.request('GET', `${BASE}/key`, { token: user })).status, 403);
    assert.equal((await raw('POST', `${BASE}/checkpoint`, user)).status, 403);
  });
});
