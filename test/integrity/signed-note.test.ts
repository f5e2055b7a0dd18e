/**
 * C2SP signed notes against the published example of golang.org/x/mod's sumdb/note (the reference
 * implementation the spec came from): Ed25519 is deterministic, so signing the example text with
 * the example key must give the published note byte for byte, and its verifier key must match.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import {
  noteSigner,
  openNote,
  parseVerifierKey,
  privateKeyFromSeed,
  signNote,
  verifierKeyText,
} from '../../src/integrity/checkpoints/signed-note.js';
import { checkpointText, parseCheckpointText } from '../../src/integrity/checkpoints/checkpoint-body.js';

const SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const NOTE = `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

/** The seed of a Go signer key: base64(0x01 ‖ seed) after the fourth `+` (the base64 may hold `+`). */
function seedOf(signerKey: string): Buffer {
  const typed = Buffer.from(signerKey.split('+').slice(4).join('+'), 'base64');
  assert.equal(typed[0], 0x01);
  return typed.subarray(1);
}

const peter = noteSigner('PeterNeumann', privateKeyFromSeed(seedOf(SIGNER_KEY)));

test('signing the example text with the example key gives the published note, byte for byte', () => {
  assert.equal(signNote(TEXT, peter), NOTE);
  assert.equal(verifierKeyText(peter), VERIFIER_KEY);
});

test('the published note opens with its verifier key, and not once a byte of it changed', () => {
  const verifier = parseVerifierKey(VERIFIER_KEY);
  assert.equal(openNote(NOTE, verifier), TEXT);
  assert.throws(() => openNote(NOTE.replace('cryptography', 'cryptographY'), verifier), /does not verify/);
  const other = noteSigner('PeterNeumann', generateKeyPairSync('ed25519').privateKey);
  assert.throws(() => openNote(NOTE, parseVerifierKey(verifierKeyText(other))), /no signature by/);
});

test('malformed verifier keys and texts are refused', () => {
  assert.throws(() => parseVerifierKey(VERIFIER_KEY.replace('c74f20a3', 'c74f20a4')), /key id/);
  assert.throws(() => parseVerifierKey('PeterNeumann+c74f20a3+AAAA'), /not an Ed25519 verifier key/);
  assert.throws(() => signNote('no newline', peter), /ends with a newline/);
  assert.throws(() => signNote('tab\there\n', peter), /control character/);
  assert.throws(() => noteSigner('has space', peter.privateKey), /key name/);
});

test('a checkpoint body reads back as it was written; a malformed one is refused', () => {
  const root = Buffer.alloc(32, 7);
  const text = checkpointText({ origin: 'sealog.example/tnt_a/operate-logs', size: 42, root });
  assert.equal(text, `sealog.example/tnt_a/operate-logs\n42\n${root.toString('base64')}\n`);
  assert.deepEqual(parseCheckpointText(text), {
    origin: 'sealog.example/tnt_a/operate-logs',
    size: 42,
    root,
  });
  assert.deepEqual(parseCheckpointText(`${text}extension line\n`).size, 42);
  assert.throws(() => parseCheckpointText(text.replace('\n42\n', '\n042\n')), /not a checkpoint/);
  assert.throws(() => parseCheckpointText(text.replace('\n42\n', '\n-1\n')), /not a checkpoint/);
  assert.throws(() => checkpointText({ origin: 'a\nb', size: 1, root }), /not a log origin/);
  assert.equal(openNote(signNote(text, peter), parseVerifierKey(verifierKeyText(peter))), text);
});

test('a pruned log states its minimum index as an extension line; none is written while it is 0', () => {
  const root = Buffer.alloc(32, 9);
  const origin = 'sealog.example/tnt_a/operate-logs';
  const text = checkpointText({ origin, size: 42, root, minimumIndex: 17 });
  assert.equal(text, `${origin}\n42\n${root.toString('base64')}\nminimum-index 17\n`);
  assert.deepEqual(parseCheckpointText(text), { origin, size: 42, root, minimumIndex: 17 });
  assert.equal(
    checkpointText({ origin, size: 42, root, minimumIndex: 0 }),
    checkpointText({ origin, size: 42, root }),
  );
  assert.deepEqual(parseCheckpointText(`${text}other extension\n`).minimumIndex, 17);
  assert.throws(() => checkpointText({ origin, size: 4, root, minimumIndex: 5 }), /minimum index/);
});
