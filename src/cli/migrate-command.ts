import { openStore } from '../storage/open-store.js';
import { dataMigrationProgress } from './copy-progress.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
} from './settings-options.js';

export const MIGRATE_HELP = `Usage: sealog migrate [--database-url URL]

Brings the store's schema up to date, saying which migration it is applying (some
count the rows already stored: about 30 s for 10 million logs of each kind). Rows of
a store from before sealed fields and signed logs are sealed and numbered, with a
progress bar; stopped, it goes on where it stopped. The server also migrates on
start; run this to migrate ahead of a deployment.

Options:
${formatOptions([...settingOptions(['DATABASE_URL']), HELP_OPTION])}
`;

/** `sealog migrate`. */
export async function migrateCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('migrate', args, {});
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return;
  }
  const config = configFrom(values, env);
  const store = openStore(config.store, { integrity: config.integrity });
  try {
    const applied = await store.migrate(({ version, name }) => {
      process.stdout.write(`applying ${version}: ${name}…\n`);
    }, dataMigrationProgress(process.stderr));
    process.stdout.write(
      applied.length === 0 ? 'schema is up to date\n' : `applied ${applied.length} migration(s)\n`,
    );
  } finally {
    await store.close();
  }
}
