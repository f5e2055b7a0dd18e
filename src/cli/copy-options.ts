import { parseArgs } from 'node:util';
import { UsageError } from './settings-options.js';

/** The command line of `sealog copy`, checked. */
export interface CopyOptions {
  /** The source file, as given after sqlite:. */
  sourcePath: string;
  /** postgres:// or postgresql:// URL; may hold a password. */
  targetUrl: string;
  /** Rows per batch, 1..10000. */
  batchSize: number;
  stateFile: string;
  restart: boolean;
}

/** Parses the command line; undefined means --help. Throws UsageError naming the fix. */
export function parseCopyOptions(args: string[]): CopyOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'batch-size': { type: 'string' },
        state: { type: 'string' },
        restart: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. See: sealog copy --help`);
  }
  if (values.help === true) return undefined;
  const see = 'See: sealog copy --help';
  const from = values.from ?? '';
  if (from === '') throw new UsageError(`--from sqlite:PATH is required (the store to copy from). ${see}`);
  if (!from.startsWith('sqlite:')) {
    throw new UsageError(
      `--from must be sqlite:PATH, an embedded store file (got "${scheme(from)}"). ${see}`,
    );
  }
  const sourcePath = from.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (sourcePath === '' || sourcePath === ':memory:') {
    throw new UsageError(`--from needs a file path after sqlite: (e.g. sqlite:./data/sealog.db). ${see}`);
  }
  const to = values.to ?? '';
  if (to === '') throw new UsageError(`--to postgres://… is required (the database to copy into). ${see}`);
  if (!/^postgres(ql)?:\/\//.test(to) || !URL.canParse(to)) {
    throw new UsageError(
      `--to must be a PostgreSQL URL such as postgres://sealog@127.0.0.1:5432/sealog (got "${scheme(to)}"). ${see}`,
    );
  }
  const rawBatchSize = values['batch-size'] ?? '1000';
  const batchSize = /^\d+$/.test(rawBatchSize) ? Number(rawBatchSize) : Number.NaN;
  if (!(batchSize >= 1 && batchSize <= 10_000)) {
    throw new UsageError(
      `--batch-size must be a whole number from 1 to 10000 (got "${rawBatchSize}"). ${see}`,
    );
  }
  return {
    sourcePath,
    targetUrl: to,
    batchSize,
    stateFile: values.state ?? `${sourcePath}.copy-state.json`,
    restart: values.restart === true,
  };
}

/** What a value starts with, without echoing the rest (it may hold a password). */
function scheme(value: string): string {
  const colon = value.indexOf(':');
  return colon === -1 ? value.slice(0, 20) : `${value.slice(0, colon)}:…`;
}
