import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

/** Capabilities beside the kinds: each a domain folder with its own routes and schemas. */
const CAPABILITIES = ['integrity', 'privacy', 'retention'];
const KIND_HTTP_FILES = kindHttp('.ts').flatMap((name) => [
  `src/kinds/**/${name}`,
  ...CAPABILITIES.map((folder) => `src/${folder}/${name}`),
]);
/** Packages only a store adapter may use, and packages only HTTP code may use. */
const STORE_DRIVERS = ['pg', 'better-sqlite3'];
const HTTP_PACKAGES = ['fastify', '@fastify/*', 'typebox'];
const KIND_HTTP_IMPORTS = kindHttp('.js').flatMap((name) => [`./${name}`, `**/${name}`]);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test registers tests synchronously; the promises they return are tracked by the runner.
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'test', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  // The console (console/): browser code, React hooks rules, type-checked with console/tsconfig.json
  // (found by the project service: the nearest tsconfig.json); its Vite config runs in Node.
  {
    files: ['console/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: globals.browser },
  },
  { files: ['console/vite.config.ts'], languageOptions: { globals: globals.node } },
  // No module of src/ may import itself back through others (type-only imports vanish at run time
  // and are not counted).
  { ...importX.flatConfigs.typescript, files: ['src/**/*.ts'] },
  { files: ['src/**/*.ts'], rules: { 'import-x/no-cycle': 'error' } },
  // Layers: routes talk to the domain, the domain owns the store port, adapters implement it. A
  // kind's folder holds both: its routes, schemas and presenter are HTTP, the rest is domain.
  layer(
    ['src/http/**', ...KIND_HTTP_FILES],
    [...folders('storage'), ...STORE_DRIVERS],
    'HTTP code never imports storage/: use the port in src/domain/audit-store.ts',
  ),
  layer(
    ['src/domain/**', 'src/kinds/**', 'src/sealing/**', ...CAPABILITIES.map((folder) => `src/${folder}/**`)],
    [...folders('storage', 'http'), ...KIND_HTTP_IMPORTS, ...STORE_DRIVERS, ...HTTP_PACKAGES],
    "the domain (domain/, a kind's tables, services and repositories, the integrity log, sealing) knows neither storage/ nor HTTP",
    KIND_HTTP_FILES,
  ),
  layer(
    ['src/storage/**'],
    [...folders('http'), ...KIND_HTTP_IMPORTS],
    "storage/ knows nothing of HTTP (a kind's routes, schemas and presenter included)",
  ),
);

/** A kind's HTTP files: what it adds to the APIs. */
function kindHttp(suffix) {
  return [
    `*-routes${suffix}`,
    `*-schemas${suffix}`,
    `*-presenter${suffix}`,
    `log-kind-module${suffix}`,
    `log-kinds${suffix}`,
  ];
}

/** Import patterns of src/ folders. */
function folders(...names) {
  return names.flatMap((folder) => [`**/${folder}/**`, `**/src/${folder}/**`]);
}

/** An ESLint block refusing, in `files` (but `ignores`), imports matching `group`. */
function layer(files, group, message, ignores = []) {
  return {
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] },
  };
}
