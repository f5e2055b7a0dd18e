/**
 * The OpenAPI document: `sealog openapi` prints what the server serves, Redocly finds nothing to
 * report in it (npm run lint:openapi), the lint does fail on a broken document and names the rule,
 * and a 503 the document lists goes out exactly as the error handler builds it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openApiDocument } from '../src/cli/openapi-command.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const ROOT = join(import.meta.dirname, '..');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point of the repository (through tsx) to completion. */
function runTs(args: readonly string[]): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: process.env });
  let stdout = '';
  let stderr = '';
  // Decoded as a stream: a character may be split between two chunks.
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

const lintOpenApi = (file?: string) =>
  runTs(['scripts/lint-openapi.ts', ...(file === undefined ? [] : [file])]);

interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema: { properties?: object } }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
}

/** One operation of `document`; fails the test when it is not documented. */
function operation(document: Document, path: string, method: string): Operation {
  const found = document.paths[path]?.[method];
  assert.ok(found, `${method.toUpperCase()} ${path} is documented`);
  return found;
}

describe('the OpenAPI document', () => {
  let dir: string;
  let document: Document;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealog-openapi-test-'));
    document = (await openApiDocument()) as Document;
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('sealog openapi prints the document the server serves at /openapi.json', async () => {
    const api = await startTestServer();
    try {
      const served: unknown = await (await fetch(`${api.url}/openapi.json`)).json();
      const printed = await runTs(['src/cli/main.ts', 'openapi']);
      assert.equal(printed.code, 0, printed.stderr);
      assert.deepEqual(JSON.parse(printed.stdout), served);
    } finally {
      await api.close();
    }
  });

  test('npm run lint:openapi passes on it', async () => {
    const outcome = await lintOpenApi();
    const report = `${outcome.stdout}\n${outcome.stderr}`;
    assert.equal(outcome.code, 0, report);
    assert.match(report, /Your API description is valid/);
    assert.doesNotMatch(report, /You have \d+ warning/);
  });

  test('the same lint fails on a broken copy, naming each rule that caught a fault', async () => {
    const broken = structuredClone(document);
    // Two operations with one operationId: generated clients would have one method for both.
    operation(broken, '/admin/access-logs', 'get').operationId = 'listCommunicationLogs';
    // A reference to a schema that does not exist.
    operation(broken, '/readyz', 'get').responses['200'] = {
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } as object } },
    };
    // An ingest route that no longer says it reads NDJSON, nor that it may be unavailable.
    const ingest = operation(broken, '/v1/ingest/operate-logs', 'post');
    delete ingest.requestBody?.content['application/x-ndjson'];
    delete ingest.responses['503'];
    // A parameter with a default marked required.
    const page = operation(broken, '/communication/logs', 'get').parameters?.find(
      ({ name }) => name === 'page',
    );
    assert.ok(page, 'GET /communication/logs has a page parameter');
    page.required = true;

    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify(broken, null, 2));
    const outcome = await lintOpenApi(file);
    const report = `${outcome.stdout}\n${outcome.stderr}`;
    assert.notEqual(outcome.code, 0, report);
    for (const rule of [
      'operation-operationId-unique',
      'no-unresolved-refs',
      'rule/ingest-accepts-ndjson',
      'rule/bearer-api-errors',
      'rule/no-required-parameter-with-default',
    ]) {
      assert.ok(report.includes(`${rule} rule`), `${rule} is reported:\n${report}`);
    }
  });
});

describe('a documented 503', () => {
  let jwks: Server;
  let api: TestServer;
  before(async () => {
    // A key set the identity provider serves broken: every bearer request is then a 503.
    jwks = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end('{"keys":"none"}');
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    api = await startTestServer({ JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
  });
  after(async () => {
    await api.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  test('is answered with exactly the fields the error handler sends, in its order', async () => {
    const document = (await (await fetch(`${api.url}/openapi.json`)).json()) as Document;
    const encode = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
    // The key set is fetched before the signature is looked at, so any RS256 token will do.
    const token = `${encode({ alg: 'RS256' })}.${encode({ sub: 'usr_1' })}.c2ln`;
    const response = await fetch(`${api.url}/v1/ingest/operate-logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: '{"operate_type":"login"}\n',
    });
    const text = await response.text();
    assert.equal(response.status, 503, text);
    assert.equal(response.headers.get('retry-after'), '2');
    const body = JSON.parse(text) as Record<string, unknown>;
    // What the schema serialized is what JSON.stringify makes of the body: nothing dropped or reordered.
    assert.deepEqual(Object.keys(body), ['code', 'message', 'timestamp']);
    assert.equal(text, JSON.stringify(body));
    assert.equal(body.code, 503);
    const documented = operation(document, '/v1/ingest/operate-logs', 'post').responses['503']?.content?.[
      'application/json'
    ]?.schema.properties;
    assert.deepEqual(Object.keys(documented ?? {}), Object.keys(body));
  });
});
