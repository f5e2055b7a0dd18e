import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * Runs SQL on a store's database directly, beside the server, as someone with write access to the
 * database would (to tamper with a row, or to age one). `databaseUrl` is the server's DATABASE_URL:
 * `sqlite:<file>` or a PostgreSQL URL. Parameters are written `$1`, `$2`… for both stores.
 */
export async function runStoreSql(
  databaseUrl: string,
  statements: readonly string[] | string,
  params: readonly unknown[] = [],
): Promise<void> {
  const list = typeof statements === 'string' ? [statements] : statements;
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    try {
      // The server holds the file open and writes to it: wait for its lock rather than fail.
      db.pragma('busy_timeout = 10000');
      for (const text of list) {
        if (params.length === 0) db.exec(text);
        else db.prepare(text.replace(/\$\d+/g, '?')).run(...params);
      }
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const text of list) await client.query(text, params.length === 0 ? undefined : [...params]);
  } finally {
    await client.end();
  }
}
