import type pg from 'pg';
import type { AppliedMigration } from '../../domain/audit-store.js';
import { ACCESS_LOG_FILTERS, ACCESS_LOG_TABLE } from '../../kinds/access-log/access-log-table.js';
import { COMMUNICATION_LOG_TABLE } from '../../kinds/communication-log/communication-log-table.js';
import { MFA_CONFIG_AUDIT_LOG_TABLE } from '../../kinds/mfa-config-audit-log/mfa-config-audit-log-table.js';
import { OPERATE_LOG_TABLE } from '../../kinds/operate-log/operate-log-table.js';
import { logTableDdl } from './log-table-ddl.js';
import { dropCountingTriggersDdl, dropPartitionDdl, volumeDdl } from './volume-ddl.js';

interface Migration extends AppliedMigration {
  sql: string;
}

/**
 * Key of the session-level advisory lock taken while migrating: one for the whole database, so
 * instances starting together apply each migration once, and extensions are created once even
 * when several schemas (test runs) migrate at the same time.
 */
export const MIGRATION_LOCK_KEY = 0x5ea1_0001;

/**
 * Versioned schema of the PostgreSQL store, applied in order and never edited once released.
 *
 * - Identifiers and keys use COLLATE "C" so that `ORDER BY id` and the keyset cursors compare bytes,
 *   exactly as SQLite does; answers are then the same on both stores whatever the database locale.
 * - Log tables are range-partitioned by month on their time column (bigint epoch ms), so retention
 *   drops whole partitions. Their primary keys must hold the partition key, so uniqueness of
 *   (tenant_id, id) across partitions — idempotent ingest — is kept by a small `*_keys` table per
 *   kind that each insert claims first (and that also finds a log's partition from its id).
 * - tenant_id leads every primary key and index (the Citus distribution column, see
 *   docs/scale-out.md). The one exception is the `*_all_tenants_by_time` indexes serving platform
 *   admins who read across tenants; on Citus they stay shard-local indexes.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- Extensions go to "public" when it exists, so that dropping one schema (a test run) never
      -- drops them from under another; the trigram operator class is named with its schema.
      DO $$
      DECLARE home text := CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public')
                                THEN 'public' ELSE current_schema() END;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
          EXECUTE format('CREATE EXTENSION pg_trgm SCHEMA %I', home);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
          EXECUTE format('CREATE EXTENSION btree_gin SCHEMA %I', home);
        END IF;
      END $$;

      CREATE TABLE communication_logs (
        tenant_id   text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        user_id     text COLLATE "C" NOT NULL,
        channel     text COLLATE "C" NOT NULL,
        status      text COLLATE "C" NOT NULL,
        recipient   text   NOT NULL,
        content     text   NOT NULL,
        provider    text   NOT NULL,
        template_id text   NOT NULL,
        error       text,
        response    text,
        sent_at     bigint,
        created_at  bigint NOT NULL,
        updated_at  bigint NOT NULL,
        PRIMARY KEY (tenant_id, created_at, id)
      ) PARTITION BY RANGE (created_at);
      CREATE INDEX communication_logs_by_user ON communication_logs (tenant_id, user_id, created_at, id);
      CREATE INDEX communication_logs_by_status ON communication_logs (tenant_id, status, created_at, id);
      CREATE INDEX communication_logs_by_channel_status
        ON communication_logs (tenant_id, channel, status, created_at, id);
      CREATE INDEX communication_logs_all_tenants_by_time ON communication_logs (created_at, id);
      CREATE TABLE communication_logs_default PARTITION OF communication_logs DEFAULT;
      CREATE TABLE communication_log_keys (
        tenant_id  text COLLATE "C" NOT NULL,
        id         text COLLATE "C" NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      CREATE TABLE communication_log_transitions (
        tenant_id   text COLLATE "C" NOT NULL,
        log_id      text COLLATE "C" NOT NULL,
        seq         bigint GENERATED ALWAYS AS IDENTITY,
        from_status text   NOT NULL,
        to_status   text   NOT NULL,
        error       text,
        response    text,
        sent_at     bigint,
        changed_at  bigint NOT NULL,
        PRIMARY KEY (tenant_id, log_id, seq)
      );

      CREATE TABLE mfa_config_audit_logs (
        tenant_id   text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        action      text COLLATE "C" NOT NULL,
        target_type text COLLATE "C" NOT NULL,
        target_id   text   NOT NULL,
        operator_id text COLLATE "C" NOT NULL,
        module      text   NOT NULL,
        message     text   NOT NULL,
        "timestamp" bigint NOT NULL,
        PRIMARY KEY (tenant_id, "timestamp", id)
      ) PARTITION BY RANGE ("timestamp");
      CREATE INDEX mfa_config_audit_logs_by_operator
        ON mfa_config_audit_logs (tenant_id, operator_id, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_by_action ON mfa_config_audit_logs (tenant_id, action, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_by_target_type
        ON mfa_config_audit_logs (tenant_id, target_type, "timestamp", id);
      CREATE INDEX mfa_config_audit_logs_all_tenants_by_time ON mfa_config_audit_logs ("timestamp", id);
      CREATE TABLE mfa_config_audit_logs_default PARTITION OF mfa_config_audit_logs DEFAULT;
      CREATE TABLE mfa_config_audit_log_keys (
        tenant_id   text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        "timestamp" bigint NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      CREATE TABLE operate_logs (
        tenant_id        text COLLATE "C" NOT NULL,
        id               text COLLATE "C" NOT NULL,
        record_time      bigint NOT NULL,
        uid              text   NOT NULL,
        username         text   NOT NULL,
        operate_type     text COLLATE "C" NOT NULL,
        operate_content  text   NOT NULL,
        user_id          text   NOT NULL,
        role             text   NOT NULL,
        account          text   NOT NULL,
        operate_geo_info text   NOT NULL,
        operate_ip_info  text   NOT NULL,
        client_id        text   NOT NULL,
        merchant_code    text COLLATE "C" NOT NULL,
        ext              text   NOT NULL,
        project_code     text   NOT NULL,
        PRIMARY KEY (tenant_id, record_time, id)
      ) PARTITION BY RANGE (record_time);
      CREATE INDEX operate_logs_by_type ON operate_logs (tenant_id, operate_type, record_time, id);
      CREATE INDEX operate_logs_by_merchant ON operate_logs (tenant_id, merchant_code, record_time, id);
      DO $$
      DECLARE trgm text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm');
      BEGIN
        -- btree_gin lets the tenant lead the substring index too.
        EXECUTE format(
          'CREATE INDEX operate_logs_by_content ON operate_logs USING gin (tenant_id, operate_content %s.gin_trgm_ops)',
          trgm);
      END $$;
      CREATE TABLE operate_logs_default PARTITION OF operate_logs DEFAULT;
      CREATE TABLE operate_log_keys (
        tenant_id   text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        record_time bigint NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      -- Counts a tenant's rows matching a substring, up to a cap, through the trigram index only
      -- (never a sequential scan): the rare-versus-common probe of key_words searches.
      CREATE FUNCTION sealog_count_content_matches(p_tenant text, p_pattern text, p_cap integer)
        RETURNS integer LANGUAGE sql STABLE
        SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
        AS $fn$
          SELECT count(*)::integer FROM (
            SELECT 1 FROM operate_logs WHERE tenant_id = p_tenant AND operate_content ILIKE p_pattern LIMIT p_cap
          ) AS matches
        $fn$;

      -- Creates the partition of one month and attaches it, first moving that month's rows out of
      -- the default partition (where rows land when no partition was ready for them).
      CREATE FUNCTION sealog_add_partition(p_parent text, p_time_column text, p_suffix text, p_from bigint, p_to bigint)
        RETURNS boolean LANGUAGE plpgsql AS $fn$
        DECLARE part text := p_parent || '_' || p_suffix;
        BEGIN
          -- Checked by a query (a fresh snapshot) after taking the lock: another instance may have
          -- just created the partition, which the cached catalog would not show yet.
          PERFORM pg_advisory_xact_lock(hashtext('sealog partitions ' || current_schema()));
          IF EXISTS (SELECT 1 FROM pg_class WHERE relname = part AND relnamespace = current_schema()::regnamespace)
          THEN RETURN false; END IF;
          EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, p_parent);
          EXECUTE format(
            'WITH moved AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) INSERT INTO %I SELECT * FROM moved',
            p_parent || '_default', p_time_column, p_from, p_time_column, p_to, part);
          EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
            p_parent, part, p_from, p_to);
          RETURN true;
        END
        $fn$;

      -- Only SHA-256 hashes of tokens are kept: a copy of the database grants no access.
      CREATE TABLE tuya_tokens (
        access_hash        text COLLATE "C" PRIMARY KEY,
        refresh_hash       text COLLATE "C" NOT NULL UNIQUE,
        client_id          text   NOT NULL,
        uid                text   NOT NULL,
        issued_at          bigint NOT NULL,
        access_expires_at  bigint NOT NULL,
        refresh_expires_at bigint NOT NULL,
        revoked_at         bigint
      );
      CREATE INDEX tuya_tokens_by_refresh_expiry ON tuya_tokens (refresh_expires_at);

      CREATE TABLE tuya_nonces (
        client_id  text COLLATE "C" NOT NULL,
        nonce      text COLLATE "C" NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (client_id, nonce)
      );
      CREATE INDEX tuya_nonces_by_expiry ON tuya_nonces (expires_at);
    `,
  },
  {
    version: 2,
    name: 'tallies for list totals; sealog_drop_partition',
    sql: `
      -- Row counts per tenant and filter value, kept by statement triggers on every write path
      -- (ingest, status transitions, copies, deletes), so a list's exact total is a sum over a few
      -- rows instead of a count of millions (see list-totals.ts). Each statement adds its rows'
      -- counts in one upsert, in key order, so that concurrent one-statement transactions (every
      -- write sealog makes) cannot deadlock on them; the rows stay locked only from the end of the
      -- statement to its commit.
      CREATE TABLE communication_log_tallies (
        tenant_id text COLLATE "C" NOT NULL,
        channel   text COLLATE "C" NOT NULL,
        status    text COLLATE "C" NOT NULL,
        n         bigint NOT NULL,
        PRIMARY KEY (tenant_id, channel, status)
      );
      INSERT INTO communication_log_tallies (tenant_id, channel, status, n)
        SELECT tenant_id, channel, status, count(*) FROM communication_logs GROUP BY 1, 2, 3;
      CREATE FUNCTION sealog_tally_communication_logs() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO communication_log_tallies AS t (tenant_id, channel, status, n)
            SELECT tenant_id, channel, status, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (tenant_id, channel, status) DO UPDATE SET n = t.n + excluded.n;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO communication_log_tallies AS t (tenant_id, channel, status, n)
            SELECT tenant_id, channel, status, sum(delta) FROM (
              SELECT tenant_id, channel, status, 1 AS delta FROM new_rows
              UNION ALL SELECT tenant_id, channel, status, -1 FROM old_rows) AS changes
            GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
            ON CONFLICT (tenant_id, channel, status) DO UPDATE SET n = t.n + excluded.n;
        ELSE
          INSERT INTO communication_log_tallies AS t (tenant_id, channel, status, n)
            SELECT tenant_id, channel, status, -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (tenant_id, channel, status) DO UPDATE SET n = t.n + excluded.n;
        END IF;
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER communication_log_tallies_insert AFTER INSERT ON communication_logs
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sealog_tally_communication_logs();
      CREATE TRIGGER communication_log_tallies_update AFTER UPDATE ON communication_logs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION sealog_tally_communication_logs();
      CREATE TRIGGER communication_log_tallies_delete AFTER DELETE ON communication_logs
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sealog_tally_communication_logs();

      -- day: UTC days since 1970-01-01, floored (integer arithmetic, right before 1970 too).
      CREATE TABLE mfa_config_audit_log_tallies (
        tenant_id   text COLLATE "C" NOT NULL,
        day         bigint NOT NULL,
        action      text COLLATE "C" NOT NULL,
        target_type text COLLATE "C" NOT NULL,
        n           bigint NOT NULL,
        PRIMARY KEY (tenant_id, day, action, target_type)
      );
      INSERT INTO mfa_config_audit_log_tallies (tenant_id, day, action, target_type, n)
        SELECT tenant_id, ("timestamp" - (("timestamp" % 86400000) + 86400000) % 86400000) / 86400000, action, target_type, count(*)
          FROM mfa_config_audit_logs GROUP BY 1, 2, 3, 4;
      CREATE FUNCTION sealog_tally_mfa_config_audit_logs() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO mfa_config_audit_log_tallies AS t (tenant_id, day, action, target_type, n)
            SELECT tenant_id, ("timestamp" - (("timestamp" % 86400000) + 86400000) % 86400000) / 86400000, action, target_type, count(*)
              FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (tenant_id, day, action, target_type) DO UPDATE SET n = t.n + excluded.n;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO mfa_config_audit_log_tallies AS t (tenant_id, day, action, target_type, n)
            SELECT tenant_id, ("timestamp" - (("timestamp" % 86400000) + 86400000) % 86400000) / 86400000, action, target_type, sum(delta) FROM (
              SELECT tenant_id, "timestamp", action, target_type, 1 AS delta FROM new_rows
              UNION ALL SELECT tenant_id, "timestamp", action, target_type, -1 FROM old_rows) AS changes
            GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0 ORDER BY 1, 2, 3, 4
            ON CONFLICT (tenant_id, day, action, target_type) DO UPDATE SET n = t.n + excluded.n;
        ELSE
          INSERT INTO mfa_config_audit_log_tallies AS t (tenant_id, day, action, target_type, n)
            SELECT tenant_id, ("timestamp" - (("timestamp" % 86400000) + 86400000) % 86400000) / 86400000, action, target_type, -count(*)
              FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            ON CONFLICT (tenant_id, day, action, target_type) DO UPDATE SET n = t.n + excluded.n;
        END IF;
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER mfa_config_audit_log_tallies_insert AFTER INSERT ON mfa_config_audit_logs
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sealog_tally_mfa_config_audit_logs();
      CREATE TRIGGER mfa_config_audit_log_tallies_update AFTER UPDATE ON mfa_config_audit_logs
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION sealog_tally_mfa_config_audit_logs();
      CREATE TRIGGER mfa_config_audit_log_tallies_delete AFTER DELETE ON mfa_config_audit_logs
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sealog_tally_mfa_config_audit_logs();

      -- Retention: drops one month's partition of a log table, with its rows' claimed ids and
      -- transitions, and takes its rows out of the tallies, which a bare DROP TABLE would leave
      -- counting them (statement triggers do not fire for a dropped table). The whole table is
      -- locked first, before any tally row: dropping a partition needs that lock, and taking it
      -- after the tallies would deadlock with an insert holding the table and waiting for them.
      -- Writes to the table wait until the caller commits. Returns the number of log rows
      -- dropped. The default partition stays: rows outside every month's partition need it.
      CREATE FUNCTION sealog_drop_partition(p_partition text) RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE
        part regclass := p_partition::regclass;
        parent text;
        dropped bigint;
      BEGIN
        SELECT inhparent::regclass::text INTO parent FROM pg_inherits WHERE inhrelid = part;
        IF parent IS NULL OR parent NOT IN ('communication_logs', 'mfa_config_audit_logs', 'operate_logs') THEN
          RAISE EXCEPTION '% is not a partition of a sealog log table', p_partition;
        END IF;
        IF part::text = parent || '_default' THEN
          RAISE EXCEPTION '% is the default partition, which rows outside every month need', p_partition;
        END IF;
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', parent::regclass);
        EXECUTE format('SELECT count(*) FROM %s', part) INTO dropped;
        IF parent = 'communication_logs' THEN
          EXECUTE format($sql$
            INSERT INTO communication_log_tallies AS t (tenant_id, channel, status, n)
              SELECT tenant_id, channel, status, -count(*) FROM %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
              ON CONFLICT (tenant_id, channel, status) DO UPDATE SET n = t.n + excluded.n$sql$, part);
          EXECUTE format('DELETE FROM communication_log_transitions t USING %s p
            WHERE t.tenant_id = p.tenant_id AND t.log_id = p.id', part);
          EXECUTE format('DELETE FROM communication_log_keys k USING %s p
            WHERE k.tenant_id = p.tenant_id AND k.id = p.id', part);
        ELSIF parent = 'mfa_config_audit_logs' THEN
          EXECUTE format($sql$
            INSERT INTO mfa_config_audit_log_tallies AS t (tenant_id, day, action, target_type, n)
              SELECT tenant_id, ("timestamp" - (("timestamp" %% 86400000) + 86400000) %% 86400000) / 86400000,
                     action, target_type, -count(*)
                FROM %s GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
              ON CONFLICT (tenant_id, day, action, target_type) DO UPDATE SET n = t.n + excluded.n$sql$, part);
          EXECUTE format('DELETE FROM mfa_config_audit_log_keys k USING %s p
            WHERE k.tenant_id = p.tenant_id AND k.id = p.id', part);
        ELSE
          EXECUTE format('DELETE FROM operate_log_keys k USING %s p
            WHERE k.tenant_id = p.tenant_id AND k.id = p.id', part);
        END IF;
        EXECUTE format('DROP TABLE %s', part);
        RETURN dropped;
      END
      $fn$;
    `,
  },
  {
    version: 3,
    name: 'sealog_drop_partition for every log kind',
    sql: `
      -- As version 2's, for any partitioned log table with an id-claim table named after it
      -- (operate_logs: operate_log_keys), so that a kind added later is dropped by month too. The
      -- parent must be the table the search path finds by its bare name, as in version 2: a log
      -- table of another schema is refused, never half-dropped under a name that is not its own.
      CREATE OR REPLACE FUNCTION sealog_drop_partition(p_partition text) RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE
        part regclass := p_partition::regclass;
        parent_oid oid;
        parent text;
        keys regclass;
        dropped bigint;
      BEGIN
        SELECT c.oid, c.relname INTO parent_oid, parent
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent WHERE i.inhrelid = part;
        IF parent IS NULL OR to_regclass(parent) IS DISTINCT FROM parent_oid::regclass THEN
          RAISE EXCEPTION '% is not a partition of a sealog log table', p_partition;
        END IF;
        keys := to_regclass(regexp_replace(parent, 's$', '') || '_keys');
        IF keys IS NULL THEN
          RAISE EXCEPTION '% is not a partition of a sealog log table', p_partition;
        END IF;
        IF (SELECT relname FROM pg_class WHERE oid = part) = parent || '_default' THEN
          RAISE EXCEPTION '% is the default partition, which rows outside every month need', p_partition;
        END IF;
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', parent::regclass);
        EXECUTE format('SELECT count(*) FROM %s', part) INTO dropped;
        IF parent = 'communication_logs' THEN
          EXECUTE format($sql$
            INSERT INTO communication_log_tallies AS t (tenant_id, channel, status, n)
              SELECT tenant_id, channel, status, -count(*) FROM %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
              ON CONFLICT (tenant_id, channel, status) DO UPDATE SET n = t.n + excluded.n$sql$, part);
          EXECUTE format('DELETE FROM communication_log_transitions t USING %s p
            WHERE t.tenant_id = p.tenant_id AND t.log_id = p.id', part);
        ELSIF parent = 'mfa_config_audit_logs' THEN
          EXECUTE format($sql$
            INSERT INTO mfa_config_audit_log_tallies AS t (tenant_id, day, action, target_type, n)
              SELECT tenant_id, ("timestamp" - (("timestamp" %% 86400000) + 86400000) %% 86400000) / 86400000,
                     action, target_type, -count(*)
                FROM %s GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
              ON CONFLICT (tenant_id, day, action, target_type) DO UPDATE SET n = t.n + excluded.n$sql$, part);
        END IF;
        EXECUTE format('DELETE FROM %s k USING %s p WHERE k.tenant_id = p.tenant_id AND k.id = p.id', keys, part);
        EXECUTE format('DROP TABLE %s', part);
        RETURN dropped;
      END
      $fn$;
    `,
  },
  {
    version: 4,
    name: 'access log',
    sql: logTableDdl(ACCESS_LOG_TABLE, ACCESS_LOG_FILTERS),
  },
  {
    version: 5,
    name: 'sealed personal fields',
    sql: `
      -- Personal columns are stored sealed under a key per data subject (src/sealing/): \`sealed\`
      -- holds the envelope of a row's immutable personal columns, which then read ''. NULL marks a
      -- row stored before this version, in plaintext; the store seals those when it migrates, found
      -- through the partial indexes (empty afterwards, so they cost ingest nothing).
      ALTER TABLE communication_logs ADD COLUMN sealed text;
      ALTER TABLE mfa_config_audit_logs ADD COLUMN sealed text;
      ALTER TABLE operate_logs ADD COLUMN sealed text;
      ALTER TABLE access_logs ADD COLUMN sealed text;
      CREATE INDEX communication_logs_unsealed ON communication_logs (tenant_id, id) WHERE sealed IS NULL;
      CREATE INDEX mfa_config_audit_logs_unsealed ON mfa_config_audit_logs (tenant_id, id) WHERE sealed IS NULL;
      CREATE INDEX operate_logs_unsealed ON operate_logs (tenant_id, id) WHERE sealed IS NULL;
      CREATE INDEX access_logs_unsealed ON access_logs (tenant_id, id) WHERE sealed IS NULL;

      -- The plaintext of operate_content that key_words searches, outside the integrity log and
      -- cleared when its subject is erased; the substring index moves to it (operate_content holds
      -- '' once sealed).
      ALTER TABLE operate_logs ADD COLUMN search_text text;
      DROP INDEX operate_logs_by_content;
      DO $$
      DECLARE trgm text := (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm');
      BEGIN
        EXECUTE format(
          'CREATE INDEX operate_logs_by_search_text ON operate_logs USING gin (tenant_id, search_text %s.gin_trgm_ops)',
          trgm);
      END $$;
      CREATE OR REPLACE FUNCTION sealog_count_content_matches(p_tenant text, p_pattern text, p_cap integer)
        RETURNS integer LANGUAGE sql STABLE
        SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
        AS $fn$
          SELECT count(*)::integer FROM (
            SELECT 1 FROM operate_logs WHERE tenant_id = p_tenant AND search_text ILIKE p_pattern LIMIT p_cap
          ) AS matches
        $fn$;

      -- What a transition replaced, so that a communication log's record as first stored can be
      -- recomputed from its current row (the integrity log holds that record).
      ALTER TABLE communication_log_transitions ADD COLUMN prev_error text;
      ALTER TABLE communication_log_transitions ADD COLUMN prev_response text;
      ALTER TABLE communication_log_transitions ADD COLUMN prev_sent_at bigint;
      ALTER TABLE communication_log_transitions ADD COLUMN prev_updated_at bigint;

      -- Keys of data subjects, each wrapped by a master key (DATA_KEY); a subject may have several.
      -- Erasing a subject deletes its keys.
      CREATE TABLE subject_keys (
        tenant_id   text COLLATE "C" NOT NULL,
        key_id      text COLLATE "C" NOT NULL,
        subject     text COLLATE "C" NOT NULL,
        master_key_id text   NOT NULL,
        wrapped     text   NOT NULL,
        created_at  bigint NOT NULL,
        PRIMARY KEY (tenant_id, key_id)
      );
      CREATE INDEX subject_keys_by_subject ON subject_keys (tenant_id, subject, created_at);
      -- Every master key that ever wrapped a subject key, by id and fingerprint: a process started
      -- without one of them (another host that generated its own) refuses to start.
      CREATE TABLE master_keys (
        id          text COLLATE "C" PRIMARY KEY,
        fingerprint text NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'integrity log',
    sql: `
      -- One append-only RFC 6962 log per (tenant, kind) (src/integrity/): every record, and every
      -- status transition of a communication log, is a leaf, numbered by one sequencer at a time.
      CREATE TABLE integrity_logs (
        tenant_id text COLLATE "C" NOT NULL,
        kind      text COLLATE "C" NOT NULL,
        assigned  bigint NOT NULL,
        tree_size bigint NOT NULL,
        root      bytea  NOT NULL,
        PRIMARY KEY (tenant_id, kind)
      );
      -- transition 0 is the record itself; K ≥ 1 its K-th status transition (by seq).
      CREATE TABLE integrity_leaves (
        tenant_id  text COLLATE "C" NOT NULL,
        kind       text COLLATE "C" NOT NULL,
        leaf_index bigint  NOT NULL,
        record_id  text COLLATE "C" NOT NULL,
        transition integer NOT NULL,
        PRIMARY KEY (tenant_id, kind, leaf_index)
      );
      CREATE UNIQUE INDEX integrity_leaves_by_record ON integrity_leaves (tenant_id, kind, record_id, transition);
      -- The tree as C2SP tlog-tiles: 256 hashes a tile; a partial right-edge tile grows in place.
      CREATE TABLE integrity_tiles (
        tenant_id  text COLLATE "C" NOT NULL,
        kind       text COLLATE "C" NOT NULL,
        level      integer NOT NULL,
        tile_index bigint  NOT NULL,
        hashes     bytea   NOT NULL,
        PRIMARY KEY (tenant_id, kind, level, tile_index)
      );
      -- Tiles are random bytes: compressing them only costs.
      ALTER TABLE integrity_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;
      -- Every signed checkpoint, and whether it was published outside the store yet.
      CREATE TABLE integrity_checkpoints (
        tenant_id     text COLLATE "C" NOT NULL,
        kind          text COLLATE "C" NOT NULL,
        tree_size     bigint  NOT NULL,
        root          bytea   NOT NULL,
        note          text    NOT NULL,
        signed_at     bigint  NOT NULL,
        dir_published boolean NOT NULL DEFAULT false,
        url_published boolean NOT NULL DEFAULT false,
        url_attempts  integer NOT NULL DEFAULT 0,
        url_next_at   bigint  NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, kind, tree_size)
      );
      -- The logs' identity, fixed at the first signature: origins and the key that signs them.
      CREATE TABLE integrity_identity (
        id            integer PRIMARY KEY CHECK (id = 1),
        origin_prefix text NOT NULL,
        public_key    text NOT NULL
      );
      -- Rows stored before this version get their leaves when the store migrates, per kind in
      -- (tenant, time, id) order, batch after batch from the last one done (the position here).
      CREATE TABLE integrity_backfill (
        kind         text COLLATE "C" PRIMARY KEY,
        after_tenant text COLLATE "C",
        after_time   bigint,
        after_id     text COLLATE "C",
        done         boolean NOT NULL DEFAULT false
      );
      INSERT INTO integrity_backfill (kind) VALUES
        ('communication-log'), ('mfa-config-audit-log'), ('operate-log'), ('access-log');

      -- Commit order without serializing writers: each claim and each transition records the
      -- transaction that wrote it. Once every transaction below a horizon has ended
      -- (pg_snapshot_xmin), no row below it can still appear, so the sequencer numbers the rows
      -- below it in (txid, id) order and moves its cursor there.
      ALTER TABLE communication_log_keys ADD COLUMN txid xid8;
      ALTER TABLE communication_log_keys ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
      CREATE INDEX communication_log_keys_by_txid ON communication_log_keys (txid);
      ALTER TABLE mfa_config_audit_log_keys ADD COLUMN txid xid8;
      ALTER TABLE mfa_config_audit_log_keys ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
      CREATE INDEX mfa_config_audit_log_keys_by_txid ON mfa_config_audit_log_keys (txid);
      ALTER TABLE operate_log_keys ADD COLUMN txid xid8;
      ALTER TABLE operate_log_keys ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
      CREATE INDEX operate_log_keys_by_txid ON operate_log_keys (txid);
      ALTER TABLE access_log_keys ADD COLUMN txid xid8;
      ALTER TABLE access_log_keys ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
      CREATE INDEX access_log_keys_by_txid ON access_log_keys (txid);
      ALTER TABLE communication_log_transitions ADD COLUMN txid xid8;
      ALTER TABLE communication_log_transitions ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
      CREATE INDEX communication_log_transitions_by_txid ON communication_log_transitions (txid);
      CREATE TABLE integrity_cursor (
        kind text COLLATE "C" PRIMARY KEY,
        txid xid8 NOT NULL
      );
      INSERT INTO integrity_cursor (kind, txid) VALUES
        ('communication-log', '0'), ('mfa-config-audit-log', '0'), ('operate-log', '0'), ('access-log', '0');
    `,
  },
  {
    version: 7,
    name: 'leaf hashes in the claims',
    sql: `
      -- Each record's RFC 6962 leaf hash, computed where the record was sealed and stored with its
      -- claim: the sequencer hashes numbered leaves into the tree from these 32 bytes instead of
      -- reading each record back. NULL (older rows, copies): the sequencer reads the record.
      ALTER TABLE communication_log_keys ADD COLUMN leaf_hash bytea;
      ALTER TABLE mfa_config_audit_log_keys ADD COLUMN leaf_hash bytea;
      ALTER TABLE operate_log_keys ADD COLUMN leaf_hash bytea;
      ALTER TABLE access_log_keys ADD COLUMN leaf_hash bytea;
    `,
  },
  {
    version: 8,
    name: 'subject erasure',
    sql: `
      -- Every erasure that destroyed keys: who erased whom, which keys, how many records. Other
      -- processes read it (by seq) to drop the keys and plaintexts they cache.
      CREATE TABLE subject_erasures (
        seq        bigserial PRIMARY KEY,
        tenant_id  text COLLATE "C" NOT NULL,
        subject    text COLLATE "C" NOT NULL,
        key_ids    text NOT NULL,
        records    text NOT NULL,
        erased_at  bigint NOT NULL,
        erased_by  text NOT NULL
      );
      CREATE INDEX subject_erasures_by_subject ON subject_erasures (tenant_id, subject, erased_at);
      -- An erasure finds a subject's operate logs (to count them and clear their search text)
      -- without reading the tenant's every row.
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
        tenant_id  text COLLATE "C" NOT NULL,
        policy_key text COLLATE "C" NOT NULL,
        period     text   NOT NULL,
        updated_at bigint NOT NULL,
        updated_by text   NOT NULL,
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
        tenant_id  text COLLATE "C" NOT NULL,
        kind       text COLLATE "C" NOT NULL,
        first_leaf bigint NOT NULL,
        end_leaf   bigint NOT NULL,
        pruned_at  bigint NOT NULL,
        PRIMARY KEY (tenant_id, kind, first_leaf)
      );
      -- One purge at a time, whichever process runs it: the holder and when its lease ends.
      CREATE TABLE purge_lease (
        id         integer PRIMARY KEY CHECK (id = 1),
        holder     text   NOT NULL,
        expires_at bigint NOT NULL
      );
      -- What each purge run did per tenant and kind (GET /v1/retention/reports).
      CREATE TABLE purge_reports (
        run_id      text COLLATE "C" NOT NULL,
        tenant_id   text COLLATE "C" NOT NULL,
        kind        text COLLATE "C" NOT NULL,
        started_at  bigint  NOT NULL,
        cutoff      bigint  NOT NULL,
        removed     bigint  NOT NULL,
        oldest_kept bigint,
        duration_ms bigint  NOT NULL,
        dry_run     boolean NOT NULL,
        PRIMARY KEY (run_id, tenant_id, kind)
      );
      CREATE INDEX purge_reports_by_time ON purge_reports (started_at);
      CREATE INDEX purge_reports_by_tenant ON purge_reports (tenant_id, started_at);
    `,
  },
  {
    version: 11,
    name: 'console sessions',
    sql: `
      -- The web console's one-time sign-in links (sealog console-link) and its sessions, each by the
      -- SHA-256 of its secret: the store never holds a usable credential. Roles as a JSON array;
      -- tenant_id NULL for a platform admin. Expired rows go whenever a link or session is stored.
      CREATE TABLE console_links (
        link_hash  text COLLATE "C" PRIMARY KEY,
        subject    text   NOT NULL,
        tenant_id  text COLLATE "C",
        roles      text   NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX console_links_by_expiry ON console_links (expires_at);
      CREATE TABLE console_sessions (
        session_hash text COLLATE "C" PRIMARY KEY,
        subject      text   NOT NULL,
        tenant_id    text COLLATE "C",
        roles        text   NOT NULL,
        created_at   bigint NOT NULL,
        expires_at   bigint NOT NULL
      );
      CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);
    `,
  },
  {
    version: 12,
    name: 'volume per hour for histograms',
    // Each kind's rows per tenant, UTC hour and filter values of few distinct values, so that a
    // histogram sums a few thousand rows instead of counting millions (PgTableAccess.histogram). Filled
    // here from the rows stored already: one pass over each log table, seconds per million rows;
    // the triggers' lock on each log table holds its writers until this migration commits.
    // sealog_drop_partition takes a dropped month out of the volumes too.
    sql: (() => {
      const tables = [
        COMMUNICATION_LOG_TABLE,
        MFA_CONFIG_AUDIT_LOG_TABLE,
        OPERATE_LOG_TABLE,
        ACCESS_LOG_TABLE,
      ];
      return tables.map((table) => volumeDdl(table)).join('') + dropPartitionDdl(tables);
    })(),
  },
  {
    version: 13,
    name: 'log streams',
    sql: `
      -- Log streams (src/streams/): a tenant's (owner = its id) or the platform's (owner ''). The
      -- definition is JSON without its secrets; the secrets are sealed under the master key. A
      -- deliverer holds the lease (holder, expiry in epoch ms); the token changes with each new
      -- holder and the version with each change an admin makes, and both fence every write a
      -- deliverer makes, so one that lost its lease or whose stream changed moves nothing.
      -- caught_up_at: when a batch last delivered everything stored when it was read (lag in seconds).
      CREATE TABLE streams (
        owner            text COLLATE "C" NOT NULL,
        name             text COLLATE "C" NOT NULL,
        definition       text    NOT NULL,
        secrets          text    NOT NULL,
        version          integer NOT NULL,
        paused_reason    text,
        paused_at        bigint,
        failing_since    bigint,
        last_success_at  bigint,
        last_error_at    bigint,
        last_error       text,
        caught_up_at     bigint,
        events_delivered bigint  NOT NULL DEFAULT 0,
        bytes_delivered  bigint  NOT NULL DEFAULT 0,
        lease_holder     text,
        lease_token      bigint  NOT NULL DEFAULT 0,
        lease_expires_at bigint,
        created_at       bigint  NOT NULL,
        updated_at       bigint  NOT NULL,
        PRIMARY KEY (owner, name)
      );
      -- The next leaf each stream delivers of each (tenant, kind) log; a log without a row starts at 0.
      CREATE TABLE stream_positions (
        owner     text COLLATE "C" NOT NULL,
        name      text COLLATE "C" NOT NULL,
        tenant_id text COLLATE "C" NOT NULL,
        kind      text COLLATE "C" NOT NULL,
        next_leaf bigint NOT NULL,
        PRIMARY KEY (owner, name, tenant_id, kind)
      );
    `,
  },
  {
    version: 14,
    name: 'tallies counted by the writing statements; key_words probe and partitions for Citus',
    // The writes now count their rows themselves (tally-writes.ts): Citus runs no statement
    // triggers with transition tables on distributed tables. The key_words probe becomes PL/pgSQL:
    // Citus cannot plan a parameterized SQL function's body on a worker. Its query is planned per
    // call (EXECUTE), for the pattern at hand, as the SQL function's was. Catalog changes only.
    sql:
      `
      CREATE OR REPLACE FUNCTION sealog_count_content_matches(p_tenant text, p_pattern text, p_cap integer)
        RETURNS integer LANGUAGE plpgsql STABLE
        SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
        AS $fn$
        DECLARE matches integer;
        BEGIN
          EXECUTE 'SELECT count(*)::integer FROM (
                     SELECT 1 FROM operate_logs WHERE tenant_id = $1 AND search_text ILIKE $2 LIMIT $3) AS m'
            INTO matches USING p_tenant, p_pattern, p_cap;
          RETURN matches;
        END
        $fn$;

      -- A month's partition, now made by the partition keeper's background job. Statements on the
      -- log table wait while it is made (milliseconds on one server): each takes the table's lock
      -- before it is planned, so once let through it routes to, and finds its rows in, the new
      -- partition. One planned before would miss the rows moved out of the default partition, or
      -- write its own there and fail the attach. With no rows of the month waiting (partitions are
      -- made months ahead), the partition is created in place, which on Citus distributes it
      -- without moving rows.
      CREATE OR REPLACE FUNCTION sealog_add_partition(p_parent text, p_time_column text, p_suffix text, p_from bigint, p_to bigint)
        RETURNS boolean LANGUAGE plpgsql AS $fn$
        DECLARE
          part text := p_parent || '_' || p_suffix;
          waiting boolean;
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtext('sealog partitions ' || current_schema()));
          IF EXISTS (SELECT 1 FROM pg_class WHERE relname = part AND relnamespace = current_schema()::regnamespace)
          THEN RETURN false; END IF;
          EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', p_parent);
          EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %s AND %I < %s)',
            p_parent || '_default', p_time_column, p_from, p_time_column, p_to) INTO waiting;
          IF NOT waiting THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', part, p_parent, p_from, p_to);
            RETURN true;
          END IF;
          EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, p_parent);
          EXECUTE format(
            'WITH moved AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) INSERT INTO %I SELECT * FROM moved',
            p_parent || '_default', p_time_column, p_from, p_time_column, p_to, part);
          EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
            p_parent, part, p_from, p_to);
          -- Attached to a distributed table, the partition was distributed, its rows copied to the
          -- shards; Citus leaves the coordinator's copy behind.
          IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
            EXECUTE format('SELECT truncate_local_data_after_distributing_table(%L)', part);
          END IF;
          RETURN true;
        END
        $fn$;
    ` +
      dropCountingTriggersDdl([
        COMMUNICATION_LOG_TABLE,
        MFA_CONFIG_AUDIT_LOG_TABLE,
        OPERATE_LOG_TABLE,
        ACCESS_LOG_TABLE,
      ]),
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
 * Applies the migrations newer than the schema's version, up to `throughVersion` (all when
 * undefined), each in its own transaction, holding the database-wide migration lock so that
 * concurrent starts cannot both apply one; `onApplying` hears of each before it runs.
 */
export async function applyMigrations(
  client: pg.ClientBase,
  throughVersion = Infinity,
  onApplying?: (migration: AppliedMigration) => void,
): Promise<AppliedMigration[]> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    const pending = MIGRATIONS.filter(
      (migration) => migration.version > current && migration.version <= throughVersion,
    );
    for (const migration of pending) {
      onApplying?.({ version: migration.version, name: migration.name });
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return pending.map(({ version, name }) => ({ version, name }));
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}
