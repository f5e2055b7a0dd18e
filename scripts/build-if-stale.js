#!/usr/bin/env node
// Runs before `npm start`, `npm run demo` and on `npm ci`/`npm pack` (prepare): compiles src/ into
// dist/ only when dist/ is missing or older than its inputs, so a start with a current dist/ costs
// a few stats instead of a tsc run, and a production install (no devDependencies, so no tsc) starts
// with the dist/ it has. Plain JavaScript with no dependencies: it must run before anything is built
// and where only `dependencies` are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';

const root = dirname(import.meta.dirname);
const dist = join(root, 'dist');
const entry = join(dist, 'cli', 'main.js');
// Touched after every build made here: a rebuild that emits nothing (an input touched but not
// changed, package.json edited) would otherwise leave dist/ looking stale and rebuild on every start.
const stamp = join(dist, '.build-stamp');
// tsc emits even when it reports errors, which would make dist/ look current: this marker makes the
// next run compile again (and fail again) until the errors are fixed.
const failed = join(dist, '.build-failed');
const consoleSources = join(root, 'console');
// Written last by Vite: its time is when the console was built.
const consoleEntry = join(dist, 'console', 'index.html');
const say = (line) => process.stderr.write(`sealog build: ${line}\n`);

if (!existsSync(join(root, 'src'))) {
  // An installed package (npm pack) ships dist/ and no sources: there is nothing to build.
  if (existsSync(entry)) process.exit(0);
  say(`${entry} is missing and there are no sources to build it from: reinstall the package.`);
  process.exit(1);
}

buildServer();
buildConsole();

/** Compiles src/ into dist/ with tsc when dist/ is missing or stale; exits the process on failure. */
function buildServer() {
  const built = existsSync(entry);
  // dist/console/ is the console build's (below): its times say nothing about tsc's output.
  if (built && !existsSync(failed) && newestMtime(inputs()) <= newestMtime([dist], [join(dist, 'console')]))
    return;

  const tsc = findBin('typescript', 'tsc');
  if (tsc === undefined) {
    if (built) {
      say(
        'src/ is newer than dist/, but TypeScript is not installed (devDependencies omitted?): ' +
          'starting with the dist/ already built. Run `npm ci && npm run build` to rebuild it.',
      );
      return;
    }
    say(
      'dist/ has not been built and TypeScript is not installed here (devDependencies omitted), so it ' +
        'cannot be built. Either install with devDependencies (`npm ci`), which builds dist/, or install ' +
        'sealog for production from a packed tarball (`npm pack` in a built clone, then ' +
        '`npm install --omit=dev sealog-VERSION.tgz`): see "Production install" in README.md.',
    );
    process.exit(1);
  }

  say(
    !built
      ? 'dist/ has not been built yet: compiling…'
      : existsSync(failed)
        ? 'the last build failed: compiling again…'
        : 'src/ changed since dist/ was built: compiling…',
  );
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    // tsc reports errors on stdout; stderr keeps them out of what `npm pack --json` prints.
    stdio: ['inherit', 2, 'inherit'],
  });
  if (result.status !== 0) {
    mkdirSync(dist, { recursive: true });
    writeFileSync(failed, `${new Date().toISOString()}\n`);
    say(`tsc failed (${result.error?.message ?? `exit ${String(result.status ?? result.signal)}`})`);
    process.exit(1);
  }
  rmSync(failed, { force: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

/**
 * Builds the web console (console/, Vite) into dist/console/ when that is missing or older than
 * its sources. Without Vite (devDependencies omitted) the console already built is kept; a server
 * without any answers /console with 404 and serves every API as usual, so this never fails a start.
 */
function buildConsole() {
  if (!existsSync(consoleSources)) return;
  const built = existsSync(consoleEntry);
  if (built && newestMtime(consoleInputs()) <= statSync(consoleEntry).mtimeMs) return;
  const vite = findBin('vite', 'vite.js');
  if (vite === undefined) {
    say(
      built
        ? 'console/ is newer than dist/console/, but Vite is not installed: keeping the console already built.'
        : 'the web console (dist/console/) has not been built and Vite is not installed: /console stays ' +
            'unavailable until `npm ci && npm run build`.',
    );
    return;
  }
  say(built ? 'console/ changed since dist/console/ was built: building…' : 'building the web console…');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', join(consoleSources, 'vite.config.ts')],
    {
      cwd: root,
      stdio: ['inherit', 2, 'inherit'],
    },
  );
  if (result.status !== 0) {
    // Vite empties dist/console/ first: a failed build leaves no index.html, so the next run builds again.
    say(
      `the console build failed (${result.error?.message ?? `exit ${String(result.status ?? result.signal)}`})`,
    );
    process.exit(1);
  }
}

/** What dist/console/ is built from: console/ (sources and config) and the manifest naming the packages. */
function consoleInputs() {
  return [consoleSources, join(root, 'package.json')];
}

/** What dist/ is compiled from: src/ and the files that steer tsc or name the entry points. */
function inputs() {
  const configs = readdirSync(root).filter((name) => /^tsconfig.*\.json$/.test(name));
  return ['src', 'package.json', ...configs].map((name) => join(root, name));
}

/**
 * The newest modification time among `paths` and, for folders, everything under them but the
 * `skipped` paths. Folders
 * count too: deleting or renaming a source file changes only its folder's time.
 */
function newestMtime(paths, skipped = []) {
  let newest = -Infinity;
  const pending = [...paths];
  while (pending.length > 0) {
    const path = pending.pop();
    if (skipped.includes(path)) continue;
    let stats;
    try {
      stats = statSync(path);
    } catch {
      continue;
    }
    newest = Math.max(newest, stats.mtimeMs);
    if (stats.isDirectory()) {
      for (const name of readdirSync(path)) pending.push(join(path, name));
    }
  }
  return newest;
}

/**
 * The script `bin` of the project's own `pkg` (e.g. typescript's bin/tsc), or undefined when
 * devDependencies are absent.
 */
function findBin(pkg, bin) {
  try {
    const manifest = createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`);
    const path = join(dirname(manifest), 'bin', bin);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}
