import pg from 'pg';
import { TreeBuilder } from '../../../integrity/sequencing/tree-builder.js';
import { numberParsingTypes } from '../pg-executor.js';
import type { PgIntegrityStore } from './pg-integrity-store.js';
import { assignFinishedWrites } from './pg-leaf-assignment.js';
import type { PgLeafReader } from './pg-leaf-reader.js';

/** Longest one statement of a numbering pass may wait for the database, in ms. */
const PASS_TIMEOUT_MS = 60_000;

/** How long a process that is not the sequencer waits before trying to become it again, in ms. */
export const LEADER_RETRY_MS = 2000;

/**
 * The one sequencer of a PostgreSQL schema among every sealog process on it: whoever holds the
 * session advisory lock on its own connection numbers finished writes (pg-leaf-assignment.ts) and
 * hashes them into the trees; the others retry every LEADER_RETRY_MS, so when the holder dies
 * (its session ends, releasing the lock) another takes over within seconds. Even two holders
 * could not fork a log: numbering moves a cursor and tree growth is a compare-and-set.
 */
export class PgSequencer {
  private leader: pg.Client | undefined;
  private lastAttempt = -Infinity;
  /** Set by close(): a pass that its closing interrupts ends quietly. */
  private closing = false;
  private readonly builder: TreeBuilder;

  constructor(
    private readonly url: string,
    private readonly integrity: PgIntegrityStore,
    reader: PgLeafReader,
    private readonly now: () => number = Date.now,
  ) {
    this.builder = new TreeBuilder(integrity, reader);
  }

  /** Whether this process is the sequencer now. */
  get isLeader(): boolean {
    return this.leader !== undefined;
  }

  /** One pass: when this process is (or becomes) the sequencer, number finished writes and hash them. */
  async step(): Promise<void> {
    if (this.closing) return;
    const client = await this.leaderClient();
    if (client === undefined) return;
    try {
      await assignFinishedWrites(client, await this.integrity.onCitus());
      await this.builder.catchUp();
    } catch (error) {
      await this.resign();
      if (!this.isClosing()) throw error;
    }
  }

  /** Whether close() was called (read through a method: it changes while a pass awaits). */
  private isClosing(): boolean {
    return this.closing;
  }

  /** Stops for good: ends the session (a pass waiting on it ends too, without an error). */
  async close(): Promise<void> {
    this.closing = true;
    await this.resign();
  }

  /** Gives up the lock (ends the session). */
  async resign(): Promise<void> {
    const client = this.leader;
    this.leader = undefined;
    await client?.end().catch(() => undefined);
  }

  private async leaderClient(): Promise<pg.Client | undefined> {
    if (this.leader !== undefined) return this.leader;
    if (this.now() - this.lastAttempt < LEADER_RETRY_MS) return undefined;
    this.lastAttempt = this.now();
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 5_000,
      // A pass never waits this long on a live database; a silent one (a partition) must not
      // hold the sequencer forever: the query fails, the session ends, the lock is free.
      query_timeout: PASS_TIMEOUT_MS,
      keepAlive: true,
      types: numberParsingTypes(),
      application_name: 'sealog integrity sequencer',
    });
    client.on('error', () => {
      if (this.leader === client) this.leader = undefined;
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(x'5ea1'::integer, hashtext('sealog integrity ' || current_schema())) AS locked",
      );
      if (rows[0]?.locked !== true) {
        await client.end();
        return undefined;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.isClosing()) {
      // close() came while this connection was being made: it must not keep the lock.
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.leader = client;
    return client;
  }
}
