import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

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
  // No module of src/ may import itself back through others (type-only imports vanish at run time
  // and are not counted).
  { ...importX.flatConfigs.typescript, files: ['src/**/*.ts'] },
  { files: ['src/**/*.ts'], rules: { 'import-x/no-cycle': 'error' } },
  // Layers: routes talk to the domain, the domain owns the store port, adapters implement it.
  layer(
    'src/http/**',
    ['storage'],
    'http/ never imports storage/: use the port in src/domain/audit-store.ts',
  ),
  layer('src/domain/**', ['storage', 'http'], 'domain/ knows neither storage/ nor http/'),
  layer('src/storage/**', ['http'], 'storage/ knows nothing of HTTP'),
);

/** An ESLint block refusing imports from `forbidden` folders of src/ in `files`. */
function layer(files, forbidden, message) {
  const group = forbidden.flatMap((folder) => [`**/${folder}/**`, `**/src/${folder}/**`]);
  return {
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] },
  };
}
