import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Whether TEST_DATABASE_URL is a Citus coordinator's database: `npm run test:citus` sets it, with
 * TEST_DATABASE_URL=$TEST_CITUS_URL, to run every PostgreSQL test there, each test schema's tables
 * distributed by the store's own migration (docs/scale-out.md, "Testing on Citus").
 */
export const TEST_ON_CITUS = process.env.TEST_ON_CITUS === '1';

/** Shards per distributed table of a test schema: few, so that a schema is made in seconds. */
const TEST_SHARD_COUNT = 4;

/** The PostgreSQL database the tests may use (e.g. postgres://postgres@127.0.0.1:5432/test); unset: SQLite only. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL === '' ? undefined : process.env.TEST_DATABASE_URL;

/** A schema of its own in the test database, so concurrent runs never see each other's rows. */
export interface TestSchema {
  /** TEST_DATABASE_URL with `search_path` set to the schema: a DATABASE_URL for sealog. */
  url: string;
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Creates an empty schema `sealog_test_<random>` in TEST_DATABASE_URL; throws when it is not set. */
export async function createTestSchema(): Promise<TestSchema> {
  const databaseUrl = TEST_DATABASE_URL;
  if (databaseUrl === undefined) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `sealog_test_${randomBytes(6).toString('hex')}`;
  await withClient(databaseUrl, async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
  });
  const url = new URL(databaseUrl);
  url.searchParams.set(
    'options',
    `-c search_path=${schema}${!TEST_ON_CITUS ? '' : ` -c citus.shard_count=${TEST_SHARD_COUNT}`}`,
  );
  return {
    url: url.toString(),
    schema,
    drop: () =>
      withClient(databaseUrl, async (client) => {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }),
  };
}

async function withClient(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
