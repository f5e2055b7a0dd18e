import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, TEST_STORE, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const METRICS_TOKEN = 'metrics-token-of-24-chars';

/** The value of one sample (`name{labels} value`) in Prometheus text; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

const operateLog = (id: string) => ({ id, operate_type: 'device_control', operate_content: `lamp ${id}` });

describe('GET /metrics with METRICS_TOKEN', () => {
  let api: TestServer;
  const scrape = async () => {
    const response = await fetch(`${api.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  before(async () => {
    api = await startTestServer({ METRICS_TOKEN });
  });
  after(() => api.close());

  test('without the token, or with another: 401 in the AuthMS shape, nothing exposed', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-metrics-token' },
      { authorization: METRICS_TOKEN },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${api.url}/metrics`, { headers });
      assert.equal(response.status, 401);
      const body = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'timestamp']);
      assert.match(String(body.message), /METRICS_TOKEN/);
    }
    // A JWT that reads the API does not read the metrics.
    const admin = await api.token({ roles: ['admin'] });
    assert.equal(
      (await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).status,
      401,
    );
  });

  test('every named family is exposed, in Prometheus naming', async () => {
    const text = await scrape();
    const families = [
      'sealog_http_requests_total',
      'sealog_http_request_duration_seconds',
      'sealog_ingested_events_total',
      'sealog_ingested_bytes_total',
      'sealog_ingest_rejected_batches_total',
      'sealog_store_errors_total',
      'sealog_sqlite_writer_queue_depth',
      'sealog_sqlite_group_commits_total',
      'sealog_search_index_lag_rows',
      'sealog_postgres_pool_connections',
      'sealog_postgres_pool_waiting_queries',
      'nodejs_eventloop_lag_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
    ];
    for (const family of families) assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
  });

  test('the counters move with traffic: requests, ingested events and bytes, refused batches', async () => {
    const before = await scrape();
    const route = { method: 'POST', route: '/v1/ingest/operate-logs', status_code: '200' };
    const body = [operateLog('m1'), operateLog('m2'), operateLog('m3')];
    await api.ingest('operate-logs', 'tnt_metrics', body);
    const writer = await api.token({ sub: 'svc_writer', tenant_id: 'tnt_metrics', roles: ['audit:write'] });
    const refused = await api.request('POST', '/v1/ingest/operate-logs', {
      token: writer,
      body: [{ id: 'bad' }],
    });
    assert.equal(refused.status, 400);
    const admin = await api.token({ tenant_id: 'tnt_metrics', roles: ['admin'] });
    assert.equal(
      (await api.request('GET', '/admin/communication/logs?user_id=usr_3', { token: admin })).status,
      200,
    );

    // The seam hears the commit after the answer: wait for the count rather than for a clock.
    let text = before;
    await waitFor('the ingested events to be counted', async () => {
      text = await scrape();
      return sample(text, 'sealog_ingested_events_total', { kind: 'operate_logs' }) >= 3;
    });
    assert.equal(sample(text, 'sealog_ingested_events_total', { kind: 'operate_logs' }), 3);
    assert.equal(
      sample(text, 'sealog_http_requests_total', route) - sample(before, 'sealog_http_requests_total', route),
      1,
    );
    assert.equal(
      sample(text, 'sealog_ingested_bytes_total', { kind: 'operate_logs' }),
      Buffer.byteLength(JSON.stringify(body)),
    );
    assert.equal(
      sample(text, 'sealog_ingest_rejected_batches_total', { kind: 'operate_logs', reason: 'invalid' }),
      1,
    );
    // The route template, never the URL with its values, labels a request.
    const list = { route: '/admin/communication/logs', status_code: '200' };
    assert.ok(sample(text, 'sealog_http_request_duration_seconds_count', list) >= 1);
    assert.doesNotMatch(text, /usr_3|tnt_metrics/);
    if (TEST_STORE === 'sqlite') assert.ok(sample(text, 'sealog_sqlite_group_commits_total') >= 1);
    else assert.ok(sample(text, 'sealog_postgres_pool_connections', { state: 'idle' }) >= 1);
  });
});

describe('METRICS_PORT: the metrics on a port of their own', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({ METRICS_PORT: '0' });
  });
  after(() => api.close());

  test('GET /metrics answers there without a token; nothing else does; the API port has no /metrics', async () => {
    const metricsUrl = api.server.metricsUrl;
    assert.ok(metricsUrl !== undefined);
    const response = await fetch(`${metricsUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^# TYPE sealog_http_requests_total counter$/m);
    assert.equal((await fetch(`${metricsUrl}/admin/communication/logs`)).status, 404);
    assert.equal((await fetch(`${api.url}/metrics`)).status, 404);
  });
});
