// Lints the OpenAPI document with Redocly, under the rules of redocly.yaml at the repository root:
//   tsx scripts/lint-openapi.ts             the document the server serves (what `sealog openapi` prints)
//   tsx scripts/lint-openapi.ts FILE.json   a document written already (the tests lint broken copies)
// Exits with Redocly's status: 0 when every rule passes. Node alone does the work (no shell
// redirection, no /tmp), so it runs the same on every platform.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openApiDocument } from '../src/cli/openapi-command.js';

const root = dirname(import.meta.dirname);
const redocly = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');

/** Runs `redocly lint` on `file`; its report goes to this process's stdout and stderr. */
function lint(file: string): number {
  const { status, error } = spawnSync(
    process.execPath,
    [redocly, 'lint', file, '--config', join(root, 'redocly.yaml')],
    {
      stdio: 'inherit',
      // A lint must not reach the network: no check for a newer Redocly CLI.
      env: { ...process.env, REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', REDOCLY_TELEMETRY: 'off' },
    },
  );
  if (error !== undefined) throw error;
  return status ?? 1;
}

async function main(given: string | undefined): Promise<number> {
  if (given !== undefined) return lint(given);
  const dir = mkdtempSync(join(tmpdir(), 'sealog-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
    return lint(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv[2]);
