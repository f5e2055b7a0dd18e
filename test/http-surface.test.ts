import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

describe('health, OpenAPI and unknown routes', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer();
  });
  after(() => api.close());

  test('/healthz and /readyz answer 200 without a token while the store answers', async () => {
    const health = await api.request('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await api.request('GET', '/readyz');
    assert.equal(ready.status, 200);
  });

  test('/openapi.json is OpenAPI 3 listing every served route with its parameters', async () => {
    const { status, body } = await api.request('GET', '/openapi.json');
    assert.equal(status, 200);
    assert.match(String(body.openapi), /^3\./);
    const paths = body.paths as Record<string, Record<string, { parameters?: { name: string }[] }>>;
    for (const [path, method] of [
      ['/admin/communication/logs', 'get'],
      ['/communication/logs', 'get'],
      ['/admin/mfa/config-audit-logs', 'get'],
      ['/admin/communication/logs/{id}/transitions', 'get'],
      ['/v1/ingest/communication-logs', 'post'],
      ['/v1/ingest/mfa-config-audit-logs', 'post'],
      ['/v1/ingest/operate-logs', 'post'],
      ['/v1/ingest/communication-logs/{id}', 'patch'],
      ['/v1.0/token', 'get'],
      ['/v1.0/token/{refresh_token}', 'get'],
      ['/v1.0/iot-03/audit/operate-logs', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
    ] as const) {
      assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
    }
    const names = paths['/admin/mfa/config-audit-logs']?.get?.parameters?.map((parameter) => parameter.name);
    for (const name of [
      'action',
      'target_type',
      'operator_id',
      'start_date',
      'end_date',
      'page',
      'page_size',
    ]) {
      assert.ok(names?.includes(name), `parameter ${name}`);
    }
    const tuyaNames = paths['/v1.0/iot-03/audit/operate-logs']?.get?.parameters?.map(
      (parameter) => parameter.name,
    );
    for (const name of [
      'start_time',
      'end_time',
      'operate_type',
      'key_words',
      'last_id',
      'last_record_time',
      'size',
    ]) {
      assert.ok(tuyaNames?.includes(name), `Tuya parameter ${name}`);
    }
    const schemes = (body.components as { securitySchemes: Record<string, { scheme: string }> })
      .securitySchemes;
    assert.equal(schemes.bearerAuth?.scheme, 'bearer');
  });

  test('/docs serves the interactive documentation', async () => {
    const response = await fetch(`${api.url}/docs/`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /swagger/i);
  });

  test('unknown paths are 404 and known paths with another method are 405, in the AuthMS shape', async () => {
    const missing = await api.request('GET', '/admin/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 404);
    assert.deepEqual(Object.keys(missing.body).sort(), ['code', 'message', 'timestamp']);

    const wrongMethod = await api.request('DELETE', '/admin/communication/logs');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.body.code, 405);
    assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);

    const wrongMethodWithParam = await api.request('GET', '/v1/ingest/communication-logs/log_1');
    assert.equal(wrongMethodWithParam.status, 405);
    assert.match(wrongMethodWithParam.headers.get('allow') ?? '', /PATCH/);
  });

  test('/readyz is 503 once the store stops answering', async () => {
    const broken = await startTestServer();
    await broken.server.store.close();
    const { status } = await broken.request('GET', '/readyz');
    assert.equal(status, 503);
    assert.equal((await broken.request('GET', '/healthz')).status, 200);
    await broken.close();
  });
});
