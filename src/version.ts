import { readFileSync } from 'node:fs';

/** The package version from package.json (beside dist/ and src/ alike), e.g. `0.1.0`. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
