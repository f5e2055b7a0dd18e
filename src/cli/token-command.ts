import { ROLE_ADMIN, ROLE_AUDIT_WRITE } from '../domain/principal.js';
import { mintToken } from '../http/auth/token-minter.js';
import { resolveVerificationKey } from '../http/auth/verification-key.js';
import { dataDirectory } from '../storage/open-store.js';
import { IDENTITY_OPTIONS, identityFrom } from './command-helpers.js';
import {
  configFrom,
  formatOptions,
  HELP_OPTION,
  parseCommandLine,
  settingOptions,
  UsageError,
} from './settings-options.js';

export const TOKEN_HELP = `Usage: sealog token --sub ID [--tenant ID] [--role ROLE]... [--ttl SECONDS]

Mints an HS256 token with the server's key (JWT_SECRET, or the secret the server
generated in its data directory) and prints it, for local use and scripts:
  TOKEN=$(npx sealog token --sub admin --tenant tnt_demo --role admin)

Options:
${formatOptions([
  { flag: '--sub ID', help: 'the user id (sub claim), required' },
  { flag: '--tenant ID', help: 'the tenant (tenant_id claim); leave out for platform-wide tokens' },
  {
    flag: '--role ROLE',
    help:
      `a role, repeatable or comma-separated: ${ROLE_ADMIN} reads every user's logs, ` +
      `${ROLE_AUDIT_WRITE} may only ingest; none makes an ordinary user`,
  },
  { flag: '--ttl SECONDS', help: 'lifetime (default 3600)' },
  ...settingOptions(['DATABASE_URL', 'JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE']),
  HELP_OPTION,
])}
`;

/** `sealog token`: prints a signed token on stdout. */
export async function tokenCommand(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseCommandLine('token', args, {
    ...IDENTITY_OPTIONS,
    ttl: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(TOKEN_HELP);
    return;
  }
  const identity = identityFrom('token', values);
  const ttl = Number(values.ttl ?? '3600');
  if (!Number.isSafeInteger(ttl) || ttl < 1) {
    throw new UsageError(`--ttl must be a whole number of seconds ≥ 1 (got "${values.ttl ?? ''}")`);
  }
  const config = configFrom(values, env);
  const key = await resolveVerificationKey(config.jwt, dataDirectory(config.store));
  if (key.kind !== 'keys' || key.signingSecret === undefined) {
    throw new UsageError(
      'tokens can only be minted with an HS256 secret; with a public key or JWKS, use your identity provider',
    );
  }
  const token = await mintToken(key.signingSecret, identity, ttl, {
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
  });
  process.stdout.write(`${token}\n`);
}
