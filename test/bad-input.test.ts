import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { send, signedRequest } from './helpers/tuya-signing.js';

const CLIENT = 'badinputclient01';
const SECRET = 'bad-input-secret-0123456789';
const OPERATE_LOGS = '/v1.0/iot-03/audit/operate-logs';
const AUTHMS_LISTS = ['/admin/communication/logs', '/communication/logs', '/admin/mfa/config-audit-logs'];
const NOT_INTEGERS = ['Infinity', '-Infinity', '1e309', 'NaN', '1.5', '0x10', '1e1', ' 5', '+5'];

/** The AuthMS error shape: exactly {code, message, timestamp}, code = HTTP status. */
function assertAuthmsError(
  status: number,
  body: Record<string, unknown>,
  expected: number,
  message?: RegExp,
) {
  assert.equal(status, expected, JSON.stringify(body));
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'timestamp']);
  assert.equal(body.code, expected);
  if (message) assert.match(String(body.message), message);
}

/** Tuya's error envelope, HTTP 200, with `code`. */
function assertTuyaError(status: number, body: Record<string, unknown>, code: number, msg?: RegExp) {
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual(Object.keys(body).sort(), ['code', 'msg', 'success', 't', 'tid']);
  assert.equal(body.success, false);
  assert.equal(body.code, code);
  if (msg) assert.match(String(body.msg), msg);
}

describe('bad input: a 4xx in the API shape, never a 5xx, nothing written', () => {
  let api: TestServer;
  let admin: string;
  let user: string;
  let writer: string;
  let accessToken: string;
  const tuya = (query: Record<string, string>) =>
    send(api.url, signedRequest(OPERATE_LOGS, { clientId: CLIENT, secret: SECRET, accessToken, query }));

  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_b` });
    admin = await api.token({ sub: 'usr_admin', tenant_id: 'tnt_b', roles: ['admin'] });
    user = await api.token({ sub: 'usr_1', tenant_id: 'tnt_b', roles: [] });
    writer = await api.token({ sub: 'svc', tenant_id: 'tnt_b', roles: ['audit:write'] });
    const token = await send(
      api.url,
      signedRequest('/v1.0/token', { clientId: CLIENT, secret: SECRET, query: { grant_type: '1' } }),
    );
    accessToken = (token.body.result as { access_token: string }).access_token;
  });
  after(() => api.close());

  test('page and page_size take only finite decimal integers in range, on every AuthMS list, GET and HEAD', async () => {
    for (const path of AUTHMS_LISTS) {
      const token = path.startsWith('/admin') ? admin : user;
      for (const parameter of ['page', 'page_size']) {
        for (const value of [...NOT_INTEGERS, '0', '101000000000']) {
          const url = `${path}?${parameter}=${encodeURIComponent(value)}`;
          const response = await api.request('GET', url, { token });
          assertAuthmsError(
            response.status,
            response.body,
            400,
            new RegExp(`^${parameter} must be an integer from 1 to \\d+`),
          );
          const head = await fetch(`${api.url}${url}`, {
            method: 'HEAD',
            headers: { authorization: `Bearer ${token}` },
          });
          assert.equal(head.status, 400, `HEAD ${url}`);
        }
      }
    }
  });

  test('Tuya size, start_time, end_time and last_record_time: finite integers in range, else 1109 naming them', async () => {
    for (const parameter of ['size', 'start_time', 'end_time', 'last_record_time']) {
      for (const value of [...NOT_INTEGERS, '-1', '253402300800000']) {
        const query =
          parameter === 'last_record_time' ? { last_id: 'op_1', [parameter]: value } : { [parameter]: value };
        const { status, body } = await tuya(query);
        assertTuyaError(status, body, 1109, new RegExp(`${parameter} must be an integer from`));
      }
    }
  });

  test('an epoch-ms field written 1e309 in JSON (Infinity once parsed) is a 400 naming record and field', async () => {
    const response = await api.request('POST', '/v1/ingest/operate-logs', {
      token: writer,
      rawBody:
        '[{"id":"op_ok","operate_type":"login"},{"id":"op_inf","operate_type":"login","record_time":1e309}]',
      headers: { 'content-type': 'application/json' },
    });
    assertAuthmsError(response.status, response.body, 400, /^record 1: record_time must be an integer/);
    assert.deepEqual((await tuya({})).body.result, { list: [], has_more: false, last_row_key: '' });
  });

  test('NUL and unpaired surrogates: refused alike on both stores, in records and in parameters', async () => {
    for (const text of ['a\u0000b', 'a\ud800b', '\udc00']) {
      const response = await api.request('POST', '/v1/ingest/operate-logs', {
        token: writer,
        body: [
          { id: 'op_fine', operate_type: 'login' },
          { id: 'op_nul', operate_type: 'login', operate_content: text },
        ],
      });
      assertAuthmsError(
        response.status,
        response.body,
        400,
        /^record 1: operate_content must be text without NUL characters or unpaired UTF-16 surrogates/,
      );
      const receipt = await api.request('POST', '/v1/ingest/communication-logs', {
        token: writer,
        body: [{ user_id: 'usr_1', channel: 'sms', recipient: '13800138000', error: text }],
      });
      assertAuthmsError(receipt.status, receipt.body, 400, /^record 0: error must be text without NUL/);
    }
    const list = await api.request('GET', '/admin/communication/logs?user_id=a%00', { token: admin });
    assertAuthmsError(list.status, list.body, 400, /^user_id must be text without NUL/);
    const surrogate = await api.request('GET', '/admin/mfa/config-audit-logs?operator_id=%ED%A0%80', {
      token: admin,
    });
    assert.equal(surrogate.status < 500, true);
    const queries: Record<string, string>[] = [
      { key_words: '\u0000' },
      { last_id: 'a\u0000', last_record_time: '1' },
      { req: '{"key_words":"\\ud800"}' },
    ];
    for (const query of queries) {
      const { status, body } = await tuya(query);
      assertTuyaError(status, body, 1109, /must be text without NUL/);
    }
    assert.deepEqual(
      (await tuya({})).body.result,
      { list: [], has_more: false, last_row_key: '' },
      'nothing was written',
    );
  });

  test('an id of 128 characters, every one needing an escape, is addressable by every route taking an id', async () => {
    const id = `log_${'%/?#'.repeat(31)}`;
    assert.equal(id.length, 128);
    await api.ingest('communication-logs', 'tnt_b', [
      { id, user_id: 'usr_1', channel: 'sms', recipient: '13800138000' },
    ]);
    const path = encodeURIComponent(id);
    const receipt = await api.request('PATCH', `/v1/ingest/communication-logs/${path}`, {
      token: writer,
      body: { status: 'sent' },
    });
    assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
    const history = await api.request('GET', `/admin/communication/logs/${path}/transitions`, {
      token: admin,
    });
    assert.equal(history.status, 200, JSON.stringify(history.body));
    const tooLong = await api.request('GET', `/admin/communication/logs/${'x'.repeat(2000)}/transitions`, {
      token: admin,
    });
    assertAuthmsError(tooLong.status, tooLong.body, 414, /path parameter is longer/);
  });
});

describe('errors before a route runs: in the API shape of the path', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_b` });
  });
  after(() => api.close());

  const request = (method: string, path: string, extra = '') =>
    rawRequest(api.url, `${method} ${path} HTTP/1.1\r\nHost: sealog\r\n${extra}\r\n`);

  test('a malformed percent-escape in the path', async () => {
    const authms = await request('GET', '/admin/communication/logs/%ff/transitions');
    assertAuthmsError(authms.status, authms.body, 400, /malformed percent-escape/);
    const tuyaPath = await request('GET', '/v1.0/token/%ff');
    assertTuyaError(tuyaPath.status, tuyaPath.body, 1109, /malformed percent-escape/);
  });

  test('request line and headers over 16 KiB: 431 for AuthMS, the envelope for Tuya', async () => {
    const long = 'x'.repeat(17 * 1024);
    const authms = await request('GET', `/admin/communication/logs?user_id=${long}`);
    assertAuthmsError(authms.status, authms.body, 431, /larger than 16 KiB/);
    const header = await request('GET', '/admin/communication/logs', `x-padding: ${long}\r\n`);
    assertAuthmsError(header.status, header.body, 431);
    const tuyaPath = await request('GET', `/v1.0/token?grant_type=${long}`);
    assertTuyaError(tuyaPath.status, tuyaPath.body, 1109, /larger than 16 KiB/);
  });

  test('an unknown method and broken chunked framing', async () => {
    const method = await request('BREW', '/admin/communication/logs');
    assertAuthmsError(method.status, method.body, 400, /unknown HTTP method/);
    const tuyaMethod = await request('BREW', OPERATE_LOGS);
    assertTuyaError(tuyaMethod.status, tuyaMethod.body, 1109, /unknown HTTP method/);
    const chunked = await request(
      'POST',
      '/v1/ingest/operate-logs',
      'content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n',
    );
    assertAuthmsError(chunked.status, chunked.body, 400, /body framing is malformed/);
  });

  test('Tuya paths answer body errors in the envelope (POST /v1.0/token with an empty JSON body)', async () => {
    const response = await api.request('POST', '/v1.0/token', {
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    assertTuyaError(response.status, response.body, 1109, /body is empty/);
    const unknown = await api.request('POST', '/v1.0/token', {
      rawBody: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    assertTuyaError(unknown.status, unknown.body, 1108, /uri path invalid: POST \/v1.0\/token/);
  });
});

describe('requests Node would drop or answer with an empty body', () => {
  let api: TestServer;
  before(async () => {
    api = await startTestServer({ TUYA_CLIENTS: `${CLIENT}:${SECRET}:tnt_b` });
  });
  after(() => api.close());

  test('CONNECT, a missing Host header and a method with a space are answered in the shape of the path', async () => {
    const connect = await rawRequest(
      api.url,
      'CONNECT /admin/communication/logs HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    assertAuthmsError(connect.status, connect.body, 405, /CONNECT is not supported/);
    const noHost = await rawRequest(api.url, 'GET /admin/communication/logs HTTP/1.1\r\n\r\n');
    assertAuthmsError(noHost.status, noHost.body, 400, /need a Host header/);
    const tuyaNoHost = await rawRequest(api.url, 'GET /v1.0/token HTTP/1.1\r\n\r\n');
    assertTuyaError(tuyaNoHost.status, tuyaNoHost.body, 1109, /need a Host header/);
    const spaced = await rawRequest(api.url, 'GE T /v1.0/token HTTP/1.1\r\nHost: a\r\n\r\n');
    assertTuyaError(spaced.status, spaced.body, 1109, /unknown HTTP method/);
  });

  test('a signed GET with a body over 64 KiB is refused and its connection closed, not left mid-body', async () => {
    const body = 'x'.repeat(200_000);
    const headers =
      `GET /v1.0/token?grant_type=1 HTTP/1.1\r\nHost: a\r\nclient_id: ${CLIENT}\r\nsign: 00\r\n` +
      `t: ${Date.now()}\r\ncontent-length: ${body.length}\r\n\r\n`;
    // The next request on the same connection would otherwise be read as the rest of the body.
    const response = await rawRequest(api.url, `${headers}${body}GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n`);
    assertTuyaError(response.status, response.body, 1109, /body is larger than 65536 bytes/);
    assert.equal(response.headers.connection, 'close');
  });
});
