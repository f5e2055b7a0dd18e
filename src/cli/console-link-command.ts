import {
  ConsoleSessionService,
  DEFAULT_LINK_TTL_SECONDS,
  MAX_LINK_TTL_SECONDS,
} from '../domain/console-sessions.js';
import { ROLE_ADMIN } from '../domain/principal.js';
import { IDENTITY_OPTIONS, identityFrom, withMigratedStore } from './command-helpers.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
  UsageError,
} from './settings-options.js';

export const CONSOLE_LINK_HELP = `Usage: sealog console-link --sub ID [--tenant T] --role admin [--base-url URL] [--ttl SECONDS]

Prints a one-time link that signs a browser in to the web console as user ID:
  npx sealog console-link --sub alice --tenant tnt_demo --role admin
The link works once, within --ttl seconds (10 minutes by default); opening it
starts a console session (CONSOLE_SESSION_TTL, 8 hours by default). It is a
password: hand it only to that user. Its secret is in the URL's fragment (#link=),
which browsers never send to a server, so it reaches no access or proxy log; the
store keeps only its SHA-256. Only admins use the console, so --role admin is
required; leave --tenant out for a platform admin, who sees every tenant.

Options:
${formatOptions([
  { flag: '--sub ID', help: 'the user the browser signs in as (a token’s sub), required' },
  { flag: '--tenant T', help: 'their tenant; leave out for a platform admin' },
  {
    flag: '--role ROLE',
    help: `a role, repeatable or comma-separated; ${ROLE_ADMIN} is required`,
  },
  {
    flag: '--base-url URL',
    help: 'where browsers reach this server, e.g. https://audit.example.com (default http://localhost:PORT)',
  },
  {
    flag: '--ttl SECONDS',
    help: `how long the link works (default ${DEFAULT_LINK_TTL_SECONDS}, at most ${MAX_LINK_TTL_SECONDS})`,
  },
  ...settingOptions(['DATABASE_URL', 'PORT']),
  HELP_OPTION,
])}
`;

/** `sealog console-link`: stores a one-time sign-in link and prints its URL on stdout. */
export async function consoleLinkCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('console-link', args, {
    ...IDENTITY_OPTIONS,
    'base-url': { type: 'string' },
    ttl: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(CONSOLE_LINK_HELP);
    return;
  }
  const identity = identityFrom('console-link', values);
  if (!identity.roles.includes(ROLE_ADMIN)) {
    throw new UsageError(
      `only admins use the console: add --role ${ROLE_ADMIN} (a tenant admin with --tenant T, a platform admin without)`,
    );
  }
  const ttl = Number(values.ttl ?? String(DEFAULT_LINK_TTL_SECONDS));
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_LINK_TTL_SECONDS) {
    throw new UsageError(
      `--ttl must be a whole number of seconds from 1 to ${MAX_LINK_TTL_SECONDS} (got "${values.ttl ?? ''}")`,
    );
  }
  const config = configFrom(values, env);
  const base = baseUrl(values['base-url'], config.port);
  await withMigratedStore(config, async (store) => {
    const sessions = new ConsoleSessionService(store.consoleSessions, {
      sessionTtlMs: config.consoleSessionTtlMs,
    });
    const { secret, expiresAt } = await sessions.issueLink(identity, ttl);
    process.stdout.write(`${base}/console/sign-in#link=${secret}\n`);
    process.stderr.write(
      `usable once, until ${new Date(expiresAt).toISOString()}; signs in ${identity.subject}` +
        `${identity.tenantId === undefined ? ' (platform admin)' : ` of tenant ${identity.tenantId}`}\n`,
    );
  });
}

/** The console's origin and path prefix, without a trailing slash; UsageError for anything but http(s). */
function baseUrl(given: string | undefined, port: number): string {
  if (given === undefined) return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`--base-url must be a URL such as https://audit.example.com (got "${given}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--base-url must be an http or https URL (got "${given}")`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError(`--base-url takes no query or fragment (got "${given}")`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
