/**
 * The checkpoint signer over a memory store: it signs a log's growth as a C2SP checkpoint whose
 * signature verifies with sealog's own code and with an independent Ed25519 implementation
 * (@noble/ed25519), answers the latest when nothing grew, and refuses — loudly, storing nothing —
 * to sign a tree that contradicts a checkpoint it knows: the latest stored, the latest it signed
 * itself, or the newest published one.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { verifiesIndependently } from '../helpers/independent-note.js';
import { checkpointText } from '../../src/integrity/checkpoints/checkpoint-body.js';
import type { TreeHead } from '../../src/integrity/checkpoints/checkpoint-guard.js';
import {
  CheckpointRefusedError,
  CheckpointSigner,
  type CheckpointSignerOptions,
} from '../../src/integrity/checkpoints/checkpoint-signer.js';
import { openNote, parseVerifierKey } from '../../src/integrity/checkpoints/signed-note.js';
import { MemoryTree, rootHash } from '../../src/integrity/merkle/merkle-proofs.js';
import { EMPTY_ROOT, leafHash } from '../../src/integrity/merkle/rfc6962-hashing.js';
import type {
  IntegrityStore,
  LogId,
  StoredCheckpoint,
} from '../../src/integrity/sequencing/integrity-store.js';
import { MemoryIntegrityStore } from '../../src/integrity/sequencing/memory-integrity-store.js';
import { TreeAppender } from '../../src/integrity/sequencing/tree-appender.js';

const PREFIX = 'sealog.example/test';
const log: LogId = { tenantId: 'acme+1', kind: 'operate-log' };
const ORIGIN = `${PREFIX}/acme%2B1/operate-log`;
const { privateKey } = generateKeyPairSync('ed25519');
const leaves = Array.from({ length: 1_000 }, (_, n) => leafHash(Buffer.from(`leaf ${n}`)));
/** The same log with another leaf at 400. */
const forked = leaves.map((hash, n) => (n === 400 ? leafHash(Buffer.from('forged')) : hash));

/** A memory store holding the first `size` of `hashes` (appended in two chunks), no checkpoint. */
async function storeOf(size: number, hashes = leaves): Promise<MemoryIntegrityStore> {
  const store = new MemoryIntegrityStore();
  store.assignLeaves(log, hashes.length);
  let appender = TreeAppender.empty();
  for (const end of [Math.floor(size / 2), size]) {
    if (end === appender.size) continue;
    const { update, next } = appender.append(hashes.slice(appender.size, end));
    assert.equal(await store.appendTree(log, update), true);
    appender = next;
  }
  return store;
}

/** Grows `store`'s tree (holding `leaves`) to `size`. */
async function grow(store: MemoryIntegrityStore, from: number, size: number): Promise<void> {
  const edge = store.storedTiles(log).filter((tile) => tile.hashes.length < 256 * 32);
  const { update } = TreeAppender.resume(from, edge).append(leaves.slice(from, size));
  assert.equal(await store.appendTree(log, update), true);
}

/**
 * A store whose tree (state and tiles) and checkpoints come from two stores that can be swapped:
 * what someone with write access to the database can do to it.
 */
class SplitStore implements IntegrityStore {
  constructor(
    public tree: IntegrityStore,
    public checkpoints: IntegrityStore,
  ) {}
  logState = (id: LogId) => this.tree.logState(id);
  logStates = () => this.tree.logStates();
  readTiles: IntegrityStore['readTiles'] = (id, tiles) => this.tree.readTiles(id, tiles);
  appendTree: IntegrityStore['appendTree'] = (id, update) => this.tree.appendTree(id, update);
  latestCheckpoint = (id: LogId) => this.checkpoints.latestCheckpoint(id);
  checkpointAt = (id: LogId, size: number) => this.checkpoints.checkpointAt(id, size);
  listCheckpoints: IntegrityStore['listCheckpoints'] = (id, after, limit) =>
    this.checkpoints.listCheckpoints(id, after, limit);
  storeCheckpoint: IntegrityStore['storeCheckpoint'] = (id, checkpoint, expected) =>
    this.checkpoints.storeCheckpoint(id, checkpoint, expected);
}

function signerOf(store: IntegrityStore, options: Partial<CheckpointSignerOptions> = {}) {
  const refusals: CheckpointRefusedError[] = [];
  const signer = new CheckpointSigner({
    store,
    privateKey,
    originPrefix: PREFIX,
    now: () => 1_700_000_000_000,
    onRefusal: (refusal) => refusals.push(refusal),
    ...options,
  });
  return { signer, refusals };
}

function refusedWith(reason: string, anchor: string) {
  return (error: unknown) =>
    error instanceof CheckpointRefusedError &&
    error.reason === reason &&
    error.anchor === anchor &&
    error.origin === ORIGIN;
}

test('growth is signed and stored; an unchanged tree answers the latest without a new signature', async () => {
  const store = await storeOf(300);
  const { signer, refusals } = signerOf(store);
  const first = await signer.signCheckpoint(log);
  const state = await store.logState(log);
  assert.equal(first.created, true);
  assert.equal(first.origin, ORIGIN);
  assert.equal(first.size, 300);
  assert.deepEqual(first.root, state.root);
  assert.equal(first.signedAt, 1_700_000_000_000);
  const { verifierKey, origin } = signer.verifierKey(log);
  assert.equal(origin, ORIGIN);
  assert.equal(
    openNote(first.note, parseVerifierKey(verifierKey)),
    checkpointText({ origin, size: 300, root: state.root }),
  );
  assert.deepEqual(await store.latestCheckpoint(log), {
    size: 300,
    root: state.root,
    note: first.note,
    signedAt: first.signedAt,
  });

  const again = await signer.signCheckpoint(log);
  assert.equal(again.created, false);
  assert.equal(again.note, first.note);
  assert.equal((await store.listCheckpoints(log, -1, 10)).length, 1, 'no second checkpoint');

  await grow(store, 300, 700);
  const grown = await signer.signCheckpoint(log);
  assert.equal(grown.created, true);
  assert.equal(grown.size, 700);
  assert.deepEqual(grown.root, await rootHash(new MemoryTree(leaves), 700));
  assert.deepEqual(
    (await store.listCheckpoints(log, -1, 10)).map((checkpoint) => checkpoint.size),
    [300, 700],
  );
  assert.deepEqual(refusals, []);
});

test('the signature verifies with an independent Ed25519 verifier, and not once a byte changed', async () => {
  const { signer } = signerOf(await storeOf(257));
  const { note } = await signer.signCheckpoint(log);
  const { verifierKey } = signer.verifierKey(log);
  assert.equal(await verifiesIndependently(note, verifierKey), true);
  const tampered = note.replace('\n257\n', '\n258\n');
  assert.equal(await verifiesIndependently(tampered, verifierKey), false);
  assert.throws(() => openNote(tampered, parseVerifierKey(verifierKey)), /does not verify/);
  // Ed25519 is deterministic: another process with the key signs the same size identically.
  const other = signerOf(await storeOf(257)).signer;
  assert.equal((await other.signCheckpoint(log)).note, note);
});

test('a log with an empty tree and no checkpoint gets the empty tree’s checkpoint', async () => {
  const store = new MemoryIntegrityStore();
  const { signer } = signerOf(store);
  const empty = await signer.signCheckpoint({ tenantId: '', kind: 'access-log' });
  assert.equal(empty.created, true);
  assert.equal(empty.size, 0);
  assert.deepEqual(empty.root, EMPTY_ROOT);
  assert.equal(empty.origin, `${PREFIX}/~platform/access-log`);
});

test('a fork (tiles rewritten) is refused against the stored checkpoint, and nothing is stored', async () => {
  const original = await storeOf(600);
  const split = new SplitStore(original, original);
  const { signer, refusals } = signerOf(split);
  await signer.signCheckpoint(log);
  split.tree = await storeOf(800, forked);
  // A process started after the rewrite reads the forged tiles afresh: the tree is no extension.
  const fresh = signerOf(split);
  await assert.rejects(fresh.signer.signCheckpoint(log), refusedWith('not-an-extension', 'stored'));
  assert.equal(fresh.refusals.length, 1);
  // The process that read the tiles before sees them change under its cache.
  await assert.rejects(signer.signCheckpoint(log), refusedWith('tiles-changed', 'stored'));
  assert.equal(refusals.length, 1);
  assert.deepEqual(
    (await original.listCheckpoints(log, -1, 10)).map((checkpoint) => checkpoint.size),
    [600],
  );
});

test('a shrink is refused, against the store and against what this process signed', async () => {
  const original = await storeOf(600);
  const split = new SplitStore(original, original);
  const { signer } = signerOf(split);
  await signer.signCheckpoint(log);
  split.tree = await storeOf(500);
  await assert.rejects(signerOf(split).signer.signCheckpoint(log), refusedWith('shrink', 'stored'));
  // The database restored from a backup older than the last signature: rows, tiles, checkpoints.
  const backup = await storeOf(500);
  await assert.rejects(signer.signCheckpoint(log), refusedWith('shrink', 'stored'));
  split.tree = backup;
  split.checkpoints = backup;
  await assert.rejects(signer.signCheckpoint(log), refusedWith('shrink', 'signed-by-this-process'));
  assert.equal(await backup.latestCheckpoint(log), undefined, 'nothing stored');
});

test('a tree contradicting the newest published checkpoint is refused', async () => {
  const published: TreeHead = { size: 600, root: await rootHash(new MemoryTree(forked), 600) };
  const asked: string[] = [];
  const publishedHead = (origin: string) => {
    asked.push(origin);
    return Promise.resolve(published);
  };
  const { signer, refusals } = signerOf(await storeOf(800), { publishedHead });
  await assert.rejects(signer.signCheckpoint(log), refusedWith('not-an-extension', 'published'));
  assert.deepEqual(asked, [ORIGIN]);
  assert.equal(refusals.length, 1);
  published.root = await rootHash(new MemoryTree(leaves), 600);
  assert.equal((await signer.signCheckpoint(log)).size, 800);
});

/** A store where another signer stores `rival` just before the signer's first store. */
class RacingStore extends MemoryIntegrityStore {
  constructor(private rival: StoredCheckpoint | undefined) {
    super();
  }
  override async storeCheckpoint(id: LogId, checkpoint: StoredCheckpoint, expected: number | undefined) {
    const rival = this.rival;
    this.rival = undefined;
    if (rival !== undefined) assert.equal(await super.storeCheckpoint(id, rival, expected), true);
    return super.storeCheckpoint(id, checkpoint, expected);
  }
}

/** A racing store holding the first 500 leaves, whose rival checkpoint states `size` and `root`. */
async function racingStore(size: number, root: Buffer, note = 'theirs'): Promise<RacingStore> {
  const store = new RacingStore({ size, root, note, signedAt: 2 });
  store.assignLeaves(log, 1_000);
  const { update } = TreeAppender.empty().append(leaves.slice(0, 500));
  assert.equal(await store.appendTree(log, update), true);
  return store;
}

test('a lost CAS is re-read and re-checked, never signed over', async () => {
  const tree = new MemoryTree(leaves);
  // Another process stored the same size first: its checkpoint is the answer.
  const same = await racingStore(500, await rootHash(tree, 500));
  const answer = await signerOf(same).signer.signCheckpoint(log);
  assert.deepEqual([answer.created, answer.note], [false, 'theirs']);
  // It stored another root for that size, or a smaller tree that is no prefix: a fork, refused.
  const fork = await racingStore(500, await rootHash(new MemoryTree(forked), 500));
  await assert.rejects(
    signerOf(fork).signer.signCheckpoint(log),
    refusedWith('same-size-other-root', 'stored'),
  );
  const bogus = await racingStore(300, leaves[0] as Buffer);
  await assert.rejects(signerOf(bogus).signer.signCheckpoint(log), refusedWith('not-an-extension', 'stored'));
  assert.deepEqual(
    (await bogus.listCheckpoints(log, -1, 10)).map((checkpoint) => checkpoint.size),
    [300],
  );
  // It stored a smaller consistent one: the signer signs on from there.
  const behind = await racingStore(300, await rootHash(tree, 300));
  const signed = await signerOf(behind).signer.signCheckpoint(log);
  assert.deepEqual([signed.created, signed.size], [true, 500]);
  // Losing every time gives up after maxAttempts.
  const always = await racingStore(0, EMPTY_ROOT);
  always.storeCheckpoint = () => Promise.resolve(false);
  await assert.rejects(
    signerOf(always, { maxAttempts: 3 }).signer.signCheckpoint(log),
    /lost the race .* 3 times/,
  );
});

test('concurrent calls for one log sign once', async () => {
  const store = await storeOf(900);
  const { signer } = signerOf(store);
  const answers = await Promise.all(Array.from({ length: 5 }, () => signer.signCheckpoint(log)));
  assert.deepEqual(
    answers.map((answer) => answer.created),
    [true, false, false, false, false],
  );
  assert.equal((await store.listCheckpoints(log, -1, 10)).length, 1);
});
