import { AUTO_IN_PLACE_ROWS } from '../storage/postgres/citus/citus-distribution.js';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { openStore } from '../storage/open-store.js';
import { dataMigrationProgress } from './copy-progress.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
  UsageError,
} from './settings-options.js';

export const MIGRATE_HELP = `Usage: sealog migrate [--database-url URL] [--citus]

Brings the store's schema up to date, saying which migration it is applying (some
count the rows already stored: about 30 s for 10 million logs of each kind). Rows of
a store from before sealed fields and signed logs are sealed and numbered, with a
progress bar; stopped, it goes on where it stopped. The server also migrates on
start; run this to migrate ahead of a deployment.

On a Citus coordinator (the citus extension installed) every migration also
distributes sealog's tables by tenant (docs/scale-out.md). Empty tables, or up to
${AUTO_IN_PLACE_ROWS.toLocaleString('en-US')} rows in all, are distributed on their own; a database holding more
needs --citus, which copies the rows to the shards with each table locked while it
is copied: stop sealog first.

Options:
${formatOptions([
  ...settingOptions(['DATABASE_URL']),
  {
    flag: '--citus',
    help: 'distribute tables that hold rows already (in place, locking each while it is copied); fails on a database without the citus extension',
  },
  HELP_OPTION,
])}
`;

/** `sealog migrate`. */
export async function migrateCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('migrate', args, { citus: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return;
  }
  const config = configFrom(values, env);
  const citus = values.citus === true;
  if (citus && config.store.kind !== 'postgres') {
    throw new UsageError('--citus distributes a PostgreSQL store: set DATABASE_URL to the Citus coordinator');
  }
  const store = openStore(config.store, {
    integrity: config.integrity,
    citus: { inPlace: citus, onStep: (message) => process.stdout.write(`${message}\n`) },
  });
  try {
    // Before any migration: --citus on a database without Citus changes nothing.
    if (citus && store instanceof PostgresStore && !(await store.integrity.onCitus())) {
      throw new UsageError(
        'the database has no citus extension: install Citus and CREATE EXTENSION citus on every node first (docs/scale-out.md)',
      );
    }
    const applied = await store.migrate(({ version, name }) => {
      process.stdout.write(`applying ${version}: ${name}…\n`);
    }, dataMigrationProgress(process.stderr));
    process.stdout.write(
      applied.length === 0 ? 'schema is up to date\n' : `applied ${applied.length} migration(s)\n`,
    );
    const layout = store instanceof PostgresStore ? store.citus : undefined;
    if (layout !== undefined) {
      const moved = layout.distributed.filter((table) => table.rows > 0);
      process.stdout.write(
        `Citus ${layout.version}: ${layout.distributed.length} table(s) distributed now` +
          (moved.length > 0
            ? `, ${moved.reduce((sum, table) => sum + table.rows, 0)} rows copied in ${(
                moved.reduce((sum, table) => sum + table.ms, 0) / 1000
              ).toFixed(1)} s`
            : '') +
          `; ${layout.reference.length} reference table(s) made now\n`,
      );
    }
  } finally {
    await store.close();
  }
}
