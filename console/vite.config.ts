import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The console's build: served by sealog under /console/, assets hashed (the server caches
 * /console/assets/* immutably). `npx vite --config console/vite.config.ts` previews it against a
 * sealog on SEALOG_URL (default http://127.0.0.1:4731), proxying the API there.
 */
const backend = process.env.SEALOG_URL ?? 'http://127.0.0.1:4731';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Vite's default names carry a content hash: [name]-[hash].js under assets/.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    port: 4739,
    strictPort: true,
    proxy: { '/v1': backend, '/admin': backend },
  },
});
