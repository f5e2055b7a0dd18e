import type Database from 'better-sqlite3';
import type { AppliedMigration } from '../../domain/audit-store.js';
import { ACCESS_LOG_FILTERS, ACCESS_LOG_TABLE } from '../../kinds/access-log/access-log-table.js';
import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from '../../kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE } from '../../kinds/operate-log/operate-log-table.js';
import { logTableDdl } from './tables/log-table-ddl.js';
import { volumeDdl } from './tables/volume-ddl.js';

interface Migration extends AppliedMigration {
  sql: string;
}

/**
 * Versioned schema of the embedded store, applied in order and never edited once released:
 * a change is a new migration. Every list query has an index led by tenant_id and ending in its
 * keyset (time, id); the indexes without tenant_id serve platform admins reading every tenant.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE communication_logs (
        tenant_id   TEXT    NOT NULL,
        id          TEXT    NOT NULL,
        user_id     TEXT    NOT NULL,
        channel     TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        recipient   TEXT    NOT NULL,
        content     TEXT    NOT NULL,
        provider    TEXT    NOT NULL,
        template_id TEXT    NOT NULL,
        error       TEXT,
        response    TEXT,
        sent_at     INTEGER,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX communication_logs_by_time ON communication_logs (tenant_id, created_at, id);
      CREATE INDEX communication_logs_by_user ON communication_logs (tenant_id, user_id, created_at, id);
      CREATE INDEX communication_logs_by_status ON communication_logs (tenant_id, status, created_at, id);
      CREATE INDEX communication_logs_by_channel_status
        ON communication_logs (tenant_id, channel, status, created_at, id);
      CREATE INDEX communication_logs_all_tenants_by_time ON communication_logs (created_at, id);

      CREATE TABLE communication_log_transitions (
        seq         INTEGER PRIMARY KEY,
        tenant_id   TEXT    NOT NULL,
        log_id      TEXT    NOT NULL,
        from_status TEXT    NOT NULL,
        to_status   TEXT    NOT NULL,
        error       TEXT,
        response    TEXT,
        sent_at     INTEGER,
        changed_at  INTEGER NOT NULL
      );
      CREATE INDEX communication_log_transitions_by_log
        ON communication_log_transitions (tenant_id, log_id, seq);

      CREATE TABLE mfa_config_audit_logs (
        tenant_id   TEXT    NOT NULL,
        id          TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        target_type TEXT    NOT NULL,
        target_id   TEXT    NOT NULL,
        operator_id TEXT    NOT NULL,
        module      TEXT    NOT NULL,
        message     TEXT    NOT NULL,
        "timestamp" INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX mfa_config_audit_logs_by_time ON mfa_config_audit_logs (tenant_id, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_by_operator
        ON mfa_config_audit_logs (tenant_id, operator_id, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_by_action ON mfa_config_audit_logs (tenant_id, action, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_by_target_type
        ON mfa_config_audit_logs (tenant_id, target_type, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_all_tenants_by_time ON mfa_config_audit_logs ("timestamp", id);

      CREATE TABLE operate_logs (
        seq              INTEGER PRIMARY KEY,
        tenant_id        TEXT    NOT NULL,
        id               TEXT    NOT NULL,
        record_time      INTEGER NOT NULL,
        uid              TEXT    NOT NULL,
        username         TEXT    NOT NULL,
        operate_type     TEXT    NOT NULL,
        operate_content  TEXT    NOT NULL,
        user_id          TEXT    NOT NULL,
        role             TEXT    NOT NULL,
        account          TEXT    NOT NULL,
        operate_geo_info TEXT    NOT NULL,
        operate_ip_info  TEXT    NOT NULL,
        client_id        TEXT    NOT NULL,
        merchant_code    TEXT    NOT NULL,
        ext              TEXT    NOT NULL,
        project_code     TEXT    NOT NULL
      );
      CREATE UNIQUE INDEX operate_logs_by_id ON operate_logs (tenant_id, id);
      CREATE INDEX operate_logs_by_time ON operate_logs (tenant_id, record_time, id);
      CREATE INDEX operate_logs_by_type ON operate_logs (tenant_id, operate_type, record_time, id);
      CREATE INDEX operate_logs_by_merchant ON operate_logs (tenant_id, merchant_code, record_time, id);
    `,
  },
  {
    version: 2,
    name: 'Tuya API: substring index, tokens and nonces',
    sql: `
      -- External-content trigram index over operate_content, keyed by operate_logs.seq (an INTEGER
      -- PRIMARY KEY, so VACUUM never renumbers it). Filled in the background, see search-indexer.ts.
      CREATE VIRTUAL TABLE operate_logs_fts USING fts5(
        operate_content, content = 'operate_logs', content_rowid = 'seq', tokenize = 'trigram');
      CREATE TABLE search_index_progress (
        name            TEXT    PRIMARY KEY,
        indexed_through INTEGER NOT NULL
      );
      INSERT INTO search_index_progress (name, indexed_through) VALUES ('operate_logs_fts', 0);

      -- Only SHA-256 hashes of tokens are kept: a copy of the database grants no access.
      CREATE TABLE tuya_tokens (
        access_hash        TEXT    PRIMARY KEY,
        refresh_hash       TEXT    NOT NULL UNIQUE,
        client_id          TEXT    NOT NULL,
        uid                TEXT    NOT NULL,
        issued_at          INTEGER NOT NULL,
        access_expires_at  INTEGER NOT NULL,
        refresh_expires_at INTEGER NOT NULL,
        revoked_at         INTEGER
      );
      CREATE INDEX tuya_tokens_by_refresh_expiry ON tuya_tokens (refresh_expires_at);

      CREATE TABLE tuya_nonces (
        client_id  TEXT    NOT NULL,
        nonce      TEXT    NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, nonce)
      );
      CREATE INDEX tuya_nonces_by_expiry ON tuya_nonces (expires_at);
    `,
  },
  {
    version: 3,
    name: 'tallies for list totals',
    sql: `
      -- Row counts per tenant and filter value, so a list's exact total is a sum over a few rows
      -- instead of a count of millions (see list-totals.ts). Filled from the rows already stored.
      -- The store adds inserted rows per batch (TableAccess.insertNew: a row trigger would cost
      -- 40 % of ingest); these triggers count updates (status transitions) and deletes.
      CREATE TABLE communication_log_tallies (
        tenant_id TEXT    NOT NULL,
        channel   TEXT    NOT NULL,
        status    TEXT    NOT NULL,
        n         INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, channel, status)
      ) WITHOUT ROWID;
      INSERT INTO communication_log_tallies (tenant_id, channel, status, n)
        SELECT tenant_id, channel, status, count(*) FROM communication_logs GROUP BY tenant_id, channel, status;
      CREATE TRIGGER communication_log_tallies_update AFTER UPDATE OF tenant_id, channel, status
        ON communication_logs BEGIN
        UPDATE communication_log_tallies SET n = n - 1
          WHERE tenant_id = old.tenant_id AND channel = old.channel AND status = old.status;
        INSERT INTO communication_log_tallies (tenant_id, channel, status, n)
          VALUES (new.tenant_id, new.channel, new.status, 1)
          ON CONFLICT (tenant_id, channel, status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER communication_log_tallies_delete AFTER DELETE ON communication_logs BEGIN
        UPDATE communication_log_tallies SET n = n - 1
          WHERE tenant_id = old.tenant_id AND channel = old.channel AND status = old.status;
      END;

      -- day: UTC days since 1970-01-01, floored (integer arithmetic, right before 1970 too).
      CREATE TABLE mfa_config_audit_log_tallies (
        tenant_id   TEXT    NOT NULL,
        day         INTEGER NOT NULL,
        action      TEXT    NOT NULL,
        target_type TEXT    NOT NULL,
        n           INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, day, action, target_type)
      ) WITHOUT ROWID;
      INSERT INTO mfa_config_audit_log_tallies (tenant_id, day, action, target_type, n)
        SELECT tenant_id, ("timestamp" - (("timestamp" % 86400000) + 86400000) % 86400000) / 86400000 AS day,
               action, target_type, count(*)
          FROM mfa_config_audit_logs GROUP BY tenant_id, day, action, target_type;
      CREATE TRIGGER mfa_config_audit_log_tallies_update
        AFTER UPDATE OF tenant_id, "timestamp", action, target_type ON mfa_config_audit_logs BEGIN
        UPDATE mfa_config_audit_log_tallies SET n = n - 1
          WHERE tenant_id = old.tenant_id
            AND day = (old."timestamp" - ((old."timestamp" % 86400000) + 86400000) % 86400000) / 86400000
            AND action = old.action AND target_type = old.target_type;
        INSERT INTO mfa_config_audit_log_tallies (tenant_id, day, action, target_type, n)
          VALUES (new.tenant_id,
                  (new."timestamp" - ((new."timestamp" % 86400000) + 86400000) % 86400000) / 86400000,
                  new.action, new.target_type, 1)
          ON CONFLICT (tenant_id, day, action, target_type) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER mfa_config_audit_log_tallies_delete AFTER DELETE ON mfa_config_audit_logs BEGIN
        UPDATE mfa_config_audit_log_tallies SET n = n - 1
          WHERE tenant_id = old.tenant_id
            AND day = (old."timestamp" - ((old."timestamp" % 86400000) + 86400000) % 86400000) / 86400000
            AND action = old.action AND target_type = old.target_type;
      END;
    `,
  },
  {
    version: 4,
    name: 'substring index in a file of its own',
    sql: `
      -- The trigram index moves to the search file beside the store (search-index-file.ts), which a
      -- worker thread writes while this file takes the logs. The token pairs that file with this
      -- store: an index built from any other file is never used.
      DROP TABLE operate_logs_fts;
      DROP TABLE search_index_progress;
      CREATE TABLE search_index_identity (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        token TEXT    NOT NULL
      );
      INSERT INTO search_index_identity (id, token) VALUES (1, lower(hex(randomblob(16))));
    `,
  },
  {
    version: 5,
    name: 'access log',
    sql: logTableDdl(ACCESS_LOG_TABLE, ACCESS_LOG_FILTERS),
  },
  {
    version: 6,
    name: 'sealed personal fields',
    sql: `
      -- Personal columns are stored sealed under a key per data subject (src/sealing/): \`sealed\`
      -- holds the envelope of a row's immutable personal columns, which then read ''. NULL marks a
      -- row stored before this version, in plaintext; the store seals those when it migrates, found
      -- through the partial indexes (empty afterwards, so they cost ingest nothing).
      ALTER TABLE communication_logs ADD COLUMN sealed TEXT;
      ALTER TABLE mfa_config_audit_logs ADD COLUMN sealed TEXT;
      ALTER TABLE operate_logs ADD COLUMN sealed TEXT;
      ALTER TABLE access_logs ADD COLUMN sealed TEXT;
      CREATE INDEX communication_logs_unsealed ON communication_logs (tenant_id, id) WHERE sealed IS NULL;
      CREATE INDEX mfa_config_audit_logs_unsealed ON mfa_config_audit_logs (tenant_id, id) WHERE sealed IS NULL;
      CREATE INDEX operate_logs_unsealed ON operate_logs (tenant_id, id) WHERE sealed IS NULL;
      CREATE INDEX access_logs_unsealed ON access_logs (tenant_id, id) WHERE sealed IS NULL;
      -- The plaintext of operate_content that key_words searches (and the search file indexes);
      -- outside the integrity log, cleared when its subject is erased.
      ALTER TABLE operate_logs ADD COLUMN search_text TEXT;

      -- What a transition replaced, so that a communication log's record as first stored can be
      -- recomputed from its current row (the integrity log holds that record).
      ALTER TABLE communication_log_transitions ADD COLUMN prev_error TEXT;
      ALTER TABLE communication_log_transitions ADD COLUMN prev_response TEXT;
      ALTER TABLE communication_log_transitions ADD COLUMN prev_sent_at INTEGER;
      ALTER TABLE communication_log_transitions ADD COLUMN prev_updated_at INTEGER;

      -- Keys of data subjects, each wrapped by a master key (DATA_KEY); a subject may have several.
      -- Erasing a subject deletes its keys.
      CREATE TABLE subject_keys (
        tenant_id   TEXT    NOT NULL,
        key_id      TEXT    NOT NULL,
        subject     TEXT    NOT NULL,
        master_key_id TEXT    NOT NULL,
        wrapped     TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, key_id)
      ) WITHOUT ROWID;
      CREATE INDEX subject_keys_by_subject ON subject_keys (tenant_id, subject, created_at);
      -- Every master key that ever wrapped a subject key, by id and fingerprint: a process started
      -- without one of them (another host that generated its own) refuses to start.
      CREATE TABLE master_keys (
        id          TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'integrity log',
    sql: `
      -- One append-only RFC 6962 log per (tenant, kind) (src/integrity/): every record, and every
      -- status transition of a communication log, is a leaf. The writer numbers leaves in the
      -- transaction that stores their rows (exactly the commit order); the tree is hashed after.
      CREATE TABLE integrity_logs (
        tenant_id TEXT    NOT NULL,
        kind      TEXT    NOT NULL,
        assigned  INTEGER NOT NULL,
        tree_size INTEGER NOT NULL,
        root      BLOB    NOT NULL,
        PRIMARY KEY (tenant_id, kind)
      ) WITHOUT ROWID;
      -- transition 0 is the record itself; K ≥ 1 its K-th status transition (by seq).
      CREATE TABLE integrity_leaves (
        tenant_id  TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        leaf_index INTEGER NOT NULL,
        record_id  TEXT    NOT NULL,
        transition INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, kind, leaf_index)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX integrity_leaves_by_record ON integrity_leaves (tenant_id, kind, record_id, transition);
      -- The tree as C2SP tlog-tiles: 256 hashes a tile; a partial right-edge tile grows in place.
      CREATE TABLE integrity_tiles (
        tenant_id  TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        level      INTEGER NOT NULL,
        tile_index INTEGER NOT NULL,
        hashes     BLOB    NOT NULL,
        PRIMARY KEY (tenant_id, kind, level, tile_index)
      );
      -- Every signed checkpoint, and whether it was published outside the store yet.
      CREATE TABLE integrity_checkpoints (
        tenant_id     TEXT    NOT NULL,
        kind          TEXT    NOT NULL,
        tree_size     INTEGER NOT NULL,
        root          BLOB    NOT NULL,
        note          TEXT    NOT NULL,
        signed_at     INTEGER NOT NULL,
        dir_published INTEGER NOT NULL DEFAULT 0,
        url_published INTEGER NOT NULL DEFAULT 0,
        url_attempts  INTEGER NOT NULL DEFAULT 0,
        url_next_at   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, kind, tree_size)
      );
      -- The logs' identity, fixed at the first signature: origins and the key that signs them.
      CREATE TABLE integrity_identity (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        origin_prefix TEXT    NOT NULL,
        public_key    TEXT    NOT NULL
      );
      -- Rows stored before this version get their leaves when the store migrates, per kind in
      -- (tenant, time, id) order, batch after batch from the last one done (the position here).
      CREATE TABLE integrity_backfill (
        kind         TEXT    PRIMARY KEY,
        after_tenant TEXT,
        after_time   INTEGER,
        after_id     TEXT,
        done         INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO integrity_backfill (kind) VALUES
        ('communication-log'), ('mfa-config-audit-log'), ('operate-log'), ('access-log');
    `,
  },
  {
    version: 8,
    name: 'subject erasure',
    sql: `
      -- Erasure deletes a subject's keys with secure_delete on, so their bytes do not stay in free
      -- space. The keys stored before this version sat in pages split while it was off, which can
      -- leave stale copies of a moved row; the table is rebuilt (its old pages zeroed as they are
      -- freed) so that every key has one copy, which an erasure wipes.
      PRAGMA secure_delete = ON;
      CREATE TABLE subject_keys_rebuilt (
        tenant_id   TEXT    NOT NULL,
        key_id      TEXT    NOT NULL,
        subject     TEXT    NOT NULL,
        master_key_id TEXT    NOT NULL,
        wrapped     TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, key_id)
      ) WITHOUT ROWID;
      INSERT INTO subject_keys_rebuilt SELECT * FROM subject_keys ORDER BY tenant_id, key_id;
      DROP TABLE subject_keys;
      ALTER TABLE subject_keys_rebuilt RENAME TO subject_keys;
      CREATE INDEX subject_keys_by_subject ON subject_keys (tenant_id, subject, created_at);
      PRAGMA secure_delete = FAST;
      -- Every erasure that destroyed keys: who erased whom, which keys, how many records. Other
      -- processes read it (by seq) to drop the keys and plaintexts they cache.
      CREATE TABLE subject_erasures (
        seq        INTEGER PRIMARY KEY,
        tenant_id  TEXT    NOT NULL,
        subject    TEXT    NOT NULL,
        key_ids    TEXT    NOT NULL,
        records    TEXT    NOT NULL,
        erased_at  INTEGER NOT NULL,
        erased_by  TEXT    NOT NULL
      );
      CREATE INDEX subject_erasures_by_subject ON subject_erasures (tenant_id, subject, erased_at);
      -- An erasure finds a subject's operate logs (to count them, clear their search text and
      -- their trigram entries) without reading the tenant's every row.
      CREATE INDEX operate_logs_by_user ON operate_logs (tenant_id, user_id);
    `,
  },
  {
    version: 9,
    name: 'retention overrides',
    sql: `
      -- A tenant's own retention periods, set by the platform admin: one row per policy key
      -- (a kind such as communication-logs, or a field such as communication-logs.content).
      CREATE TABLE retention_overrides (
        tenant_id  TEXT    NOT NULL,
        policy_key TEXT    NOT NULL,
        period     TEXT    NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT    NOT NULL,
        PRIMARY KEY (tenant_id, policy_key)
      );
    `,
  },
  {
    version: 10,
    name: 'retention purge',
    sql: `
      -- The leaves whose records a retention purge removed, as ranges [first_leaf, end_leaf) per
      -- log: their hashes stay in the tiles (every proof of the rest still verifies) and verify
      -- counts them as pruned, not removed.
      CREATE TABLE integrity_pruned (
        tenant_id  TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        first_leaf INTEGER NOT NULL,
        end_leaf   INTEGER NOT NULL,
        pruned_at  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, kind, first_leaf)
      ) WITHOUT ROWID;
      -- One purge at a time, whichever process runs it: the holder and when its lease ends.
      CREATE TABLE purge_lease (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        holder     TEXT    NOT NULL,
        expires_at INTEGER NOT NULL
      );
      -- What each purge run did per tenant and kind (GET /v1/retention/reports).
      CREATE TABLE purge_reports (
        run_id      TEXT    NOT NULL,
        tenant_id   TEXT    NOT NULL,
        kind        TEXT    NOT NULL,
        started_at  INTEGER NOT NULL,
        cutoff      INTEGER NOT NULL,
        removed     INTEGER NOT NULL,
        oldest_kept INTEGER,
        duration_ms INTEGER NOT NULL,
        dry_run     INTEGER NOT NULL,
        PRIMARY KEY (run_id, tenant_id, kind)
      );
      CREATE INDEX purge_reports_by_time ON purge_reports (started_at);
      CREATE INDEX purge_reports_by_tenant ON purge_reports (tenant_id, started_at);
    `,
  },
  {
    version: 11,
    name: 'no operate logs by user',
    sql: `
      -- Keyed by user, every ingested row landed on a page of its own in this index: it made each
      -- row cost about 75 % more bytes written and 60 % more writer CPU. An erasure, which is rare,
      -- now reads the tenant's operate logs before its write instead (subject-erasure-scan.ts).
      -- It also had no statistics on a store analyzed before version 8, and the planner then chose
      -- it for the tenant's newest page (sorting every row of the tenant).
      DROP INDEX IF EXISTS operate_logs_by_user;
    `,
  },
  {
    version: 12,
    name: 'console sessions',
    sql: `
      -- The web console's one-time sign-in links (sealog console-link) and its sessions, each by the
      -- SHA-256 of its secret: the store never holds a usable credential. Roles as a JSON array;
      -- tenant_id NULL for a platform admin. Expired rows go whenever a link or session is stored.
      CREATE TABLE console_links (
        link_hash  TEXT    PRIMARY KEY,
        subject    TEXT    NOT NULL,
        tenant_id  TEXT,
        roles      TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX console_links_by_expiry ON console_links (expires_at);
      CREATE TABLE console_sessions (
        session_hash TEXT    PRIMARY KEY,
        subject      TEXT    NOT NULL,
        tenant_id    TEXT,
        roles        TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
    `,
  },
  {
    version: 13,
    name: 'volume per hour for histograms',
    // Each kind's rows per tenant, UTC hour and filter values of few distinct values, so that a
    // histogram sums a few thousand rows instead of counting millions (TableAccess.histogram). Filled
    // here from the rows stored already: one pass over each log table, seconds per million rows.
    sql: [COMMUNICATION_LOG_TABLE, MFA_CONFIG_AUDIT_LOG_TABLE, OPERATE_LOG_TABLE, ACCESS_LOG_TABLE]
      .map((table) => volumeDdl(table))
      .join(''),
  },
  {
    version: 14,
    name: 'log streams',
    sql: `
      -- Log streams (src/streams/): a tenant's (owner = its id) or the platform's (owner ''). The
      -- definition is JSON without its secrets; the secrets are sealed under the master key. A
      -- deliverer holds the lease (holder, expiry in epoch ms); the token changes with each new
      -- holder and the version with each change an admin makes, and both fence every write a
      -- deliverer makes, so one that lost its lease or whose stream changed moves nothing.
      -- caught_up_at: when a batch last delivered everything stored when it was read (lag in seconds).
      CREATE TABLE streams (
        owner            TEXT    NOT NULL,
        name             TEXT    NOT NULL,
        definition       TEXT    NOT NULL,
        secrets          TEXT    NOT NULL,
        version          INTEGER NOT NULL,
        paused_reason    TEXT,
        paused_at        INTEGER,
        failing_since    INTEGER,
        last_success_at  INTEGER,
        last_error_at    INTEGER,
        last_error       TEXT,
        caught_up_at     INTEGER,
        events_delivered INTEGER NOT NULL DEFAULT 0,
        bytes_delivered  INTEGER NOT NULL DEFAULT 0,
        lease_holder     TEXT,
        lease_token      INTEGER NOT NULL DEFAULT 0,
        lease_expires_at INTEGER,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (owner, name)
      ) WITHOUT ROWID;
      -- The next leaf each stream delivers of each (tenant, kind) log; a log without a row starts at 0.
      CREATE TABLE stream_positions (
        owner     TEXT    NOT NULL,
        name      TEXT    NOT NULL,
        tenant_id TEXT    NOT NULL,
        kind      TEXT    NOT NULL,
        next_leaf INTEGER NOT NULL,
        PRIMARY KEY (owner, name, tenant_id, kind)
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * Every migration this version of sealog knows, oldest first (what `sealog migrate` applies to a
 * new store), with its SQL: a released migration's text never changes (a test pins it).
 */
export function knownMigrations(): (AppliedMigration & { sql: string })[] {
  return MIGRATIONS.map(({ version, name, sql }) => ({ version, name, sql }));
}

/**
 * Applies the migrations newer than the database's version, up to `throughVersion` (all when
 * undefined; tests stop early to check what a later migration does to existing rows), telling
 * `onApplying` of each before it runs.
 */
export function applyMigrations(
  db: Database.Database,
  throughVersion = Infinity,
  onApplying?: (migration: AppliedMigration) => void,
): AppliedMigration[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  // IMMEDIATE takes the write lock before reading the version, so two processes starting on the
  // same file cannot both apply a migration.
  const run = db.transaction((): AppliedMigration[] => {
    const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    const pending = MIGRATIONS.filter(
      (migration) => migration.version > (row.version ?? 0) && migration.version <= throughVersion,
    );
    for (const migration of pending) {
      onApplying?.({ version: migration.version, name: migration.name });
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
    return pending.map(({ version, name }) => ({ version, name }));
  });
  return run.immediate();
}
