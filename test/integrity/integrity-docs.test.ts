/**
 * docs/integrity.md says what the code does: each kind's generated leaf table is in it verbatim,
 * and its auditor's steps — the very shell and Node.js snippets, cut out of the markdown — verify a
 * running `sealog serve` with nothing but its HTTP answers, curl, OpenSSL and Node.js. The proofs
 * the doc names without code are checked by the tests' own RFC 9162 verifier.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import {
  leafFieldsMarkdown,
  RECORD_LEAF_FORMATS,
  TRANSITION_LEAF_FORMAT,
} from '../../src/integrity/leaves/leaf-format.js';
import { serveCli, stopCli, type ServingCli } from '../helpers/cli-process.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../helpers/independent-merkle.js';
import { checkpointBody, verifiesIndependently } from '../helpers/independent-note.js';
import { generator, operateLog, token } from '../helpers/log-events.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const DOC = readFileSync(new URL('../../docs/integrity.md', import.meta.url), 'utf8');
const AUDITOR = '## Verifying as an auditor, with the API alone';
const TENANT = 'tnt_audit';
const LOG = '/v1/integrity/operate-log';

test('docs/integrity.md holds the leaf table of every kind and of transitions, as the code generates them', () => {
  for (const format of [...RECORD_LEAF_FORMATS.values(), TRANSITION_LEAF_FORMAT]) {
    assert.ok(DOC.includes(leafFieldsMarkdown(format)), `the ${format.kind} ${format.type} leaf table`);
  }
});

/** The fenced code blocks of the doc's section `heading` (to the next `## `), in order, unindented. */
function codeBlocks(heading: string): { lang: string; code: string }[] {
  const start = DOC.indexOf(heading);
  assert.ok(start >= 0, `docs/integrity.md has a section ${heading}`);
  const next = DOC.indexOf('\n## ', start + heading.length);
  const section = DOC.slice(start, next === -1 ? undefined : next);
  return [...section.matchAll(/^( *)```(\w+)\n([\s\S]*?)^\1```$/gm)].map((match) => {
    const indent = match[1] ?? '';
    const lines = (match[3] ?? '')
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
    return { lang: match[2] ?? '', code: lines.join('\n') };
  });
}

/** Runs `command` with `args` in `dir` with only PATH and `env`; its exit status and output. */
function run(dir: string, command: string, args: string[], env: Record<string, string> = {}) {
  const outcome = spawnSync(command, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { status: outcome.status, output: `${outcome.stdout}${outcome.stderr}` };
}

const missing = ['curl', 'openssl'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);

test(
  "an auditor following docs/integrity.md's steps verifies a running server's log",
  { skip: missing.length > 0 && `not installed: ${missing.join(', ')}` },
  async (t) => {
    const blocks = codeBlocks(AUDITOR);
    assert.deepEqual(
      blocks.map((block) => block.lang),
      ['sh', 'sh', 'sh', 'js'],
      'the steps: fetch key and checkpoint, check the signature, fetch the leaves, rebuild the root',
    );
    const [fetchNote, checkSignature, fetchLeaves, rebuildRoot] = blocks.map((block) => block.code) as [
      string,
      string,
      string,
      string,
    ];
    const dir = mkdtempSync(join(tmpdir(), 'sealog-auditor-'));
    const jwt = (roles: string[]) =>
      new SignJWT({ tenant_id: TENANT, roles })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('usr_auditor')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(TEST_SECRET));
    let server: ServingCli | undefined;
    try {
      server = await serveCli([], {
        DATABASE_URL: `sqlite:${join(dir, 'data', 'sealog.db')}`,
        JWT_SECRET: TEST_SECRET,
      });
      const url = server.url;
      const [writer, admin] = [await jwt(['audit:write']), await jwt(['admin'])];
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${body === undefined ? admin : writer}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, text: await response.text() };
      };
      const random = generator(0x5ea1);
      const ingest = async (count: number) => {
        const records = Array.from({ length: count }, () => operateLog(random, `op_${token(random, 12)}`));
        const answer = await call('POST', '/v1/ingest/operate-logs', records);
        assert.equal(answer.status, 200, answer.text);
        return records.map((record) => String(record.id));
      };
      /** Signs until the log's checkpoint covers `size` leaves: the setup, not an auditor's step. */
      const signed = async (size: number) => {
        let note = '';
        await waitFor(`a checkpoint of ${size} leaves`, async () => {
          const answer = await call('POST', `${LOG}/checkpoint`);
          assert.ok(answer.status === 200 || answer.status === 201, answer.text);
          note = answer.text;
          return checkpointBody(note).size === size;
        });
        return note;
      };
      const firstIds = await ingest(40);
      const first = await signed(40);
      await ingest(25);
      const second = await signed(65);

      // Steps 1–3, the doc's shell snippets one after the other, as an auditor pastes them.
      const shell = { TOKEN: admin, SEALOG: url };
      const steps = run(dir, 'sh', ['-e', '-c', [fetchNote, checkSignature, fetchLeaves].join('\n')], shell);
      assert.equal(steps.status, 0, steps.output);
      assert.match(steps.output, /Signature Verified Successfully/);
      assert.equal(
        readFileSync(join(dir, 'note'), 'utf8'),
        second,
        'note: the latest checkpoint, byte for byte',
      );
      const { verifier_key: verifierKey } = JSON.parse(readFileSync(join(dir, 'key.json'), 'utf8')) as {
        verifier_key: string;
      };
      assert.ok(await verifiesIndependently(second, verifierKey), 'the key the doc fetches signed it');
      const leaves = readFileSync(join(dir, 'leaves.ndjson'), 'utf8').split('\n').filter(Boolean);
      assert.equal(leaves.length, 65, 'the leaves up to the checkpoint');

      // Step 4, the doc's Node.js snippet as `root.cjs`.
      writeFileSync(join(dir, 'root.cjs'), rebuildRoot);
      const rebuilt = run(dir, process.execPath, ['root.cjs']);
      assert.equal(rebuilt.status, 0, rebuilt.output);
      assert.match(rebuilt.output, /^65 leaves, root (\S+): matches the checkpoint\n$/);
      assert.equal(/root (\S+):/.exec(rebuilt.output)?.[1], checkpointBody(second).root.toString('base64'));

      // The snippets tell a forgery: a note with another root, a leaf edited.
      const [origin, size, , ...signature] = second.split('\n');
      const forged = [origin, size, Buffer.alloc(32, 7).toString('base64'), ...signature].join('\n');
      writeFileSync(join(dir, 'note'), forged);
      const refused = run(dir, 'sh', ['-e', '-c', checkSignature], { VERIFIER_KEY: verifierKey });
      assert.notEqual(refused.status, 0, `OpenSSL refuses a note whose root was changed:\n${refused.output}`);
      writeFileSync(join(dir, 'note'), second);
      writeFileSync(
        join(dir, 'leaves.ndjson'),
        [leaves[0]?.replace('"op_', '"oq_'), ...leaves.slice(1), ''].join('\n'),
      );
      const differs = run(dir, process.execPath, ['root.cjs']);
      assert.equal(differs.status, 1, differs.output);
      assert.match(differs.output, /DOES NOT MATCH/);

      // Step 5: a record's inclusion proof, and the second checkpoint's consistency with the first.
      const id = firstIds[17] ?? '';
      const inclusion = JSON.parse((await call('GET', `${LOG}/inclusion?id=${id}`)).text) as {
        leaf_index: number;
        tree_size: number;
        leaf: string;
        proof: string[];
        checkpoint: string;
      };
      assert.ok(await verifiesIndependently(inclusion.checkpoint, verifierKey), inclusion.checkpoint);
      const leaf = Buffer.from(inclusion.leaf, 'base64');
      const record = JSON.parse(leaf.toString('utf8')) as Record<string, unknown>;
      assert.equal(record.id, id, 'the leaf is the record asked for');
      assert.equal(record.operate_content, '', 'its personal fields sealed');
      assert.match(String(record.sealed), /^s1\./);
      const head = checkpointBody(inclusion.checkpoint);
      const path = inclusion.proof.map((hash) => Buffer.from(hash, 'base64'));
      assert.equal(head.size, inclusion.tree_size);
      assert.ok(verifyInclusion(inclusion.leaf_index, head.size, hashLeaf(leaf), path, head.root));
      assert.ok(
        !verifyInclusion(inclusion.leaf_index, head.size, hashLeaf(Buffer.from('{}')), path, head.root),
      );

      const [older, newer] = [checkpointBody(first), checkpointBody(second)];
      const consistency = JSON.parse((await call('GET', `${LOG}/consistency?from=40&to=65`)).text) as {
        proof: string[];
      };
      const proof = consistency.proof.map((hash) => Buffer.from(hash, 'base64'));
      assert.ok(
        verifyConsistency(older.size, newer.size, older.root, newer.root, proof),
        'the log only grew',
      );
      assert.ok(!verifyConsistency(older.size, newer.size, Buffer.alloc(32), newer.root, proof));
      t.diagnostic(
        `the doc's ${blocks.length} snippets verified checkpoint ${newer.size} of ${origin ?? ''}`,
      );
    } finally {
      if (server !== undefined) {
        const ended = await stopCli(server);
        assert.equal(ended.code, 0, ended.stderr);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
