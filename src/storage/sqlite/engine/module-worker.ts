import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread running the module `name` (without extension) beside `callerUrl`, with
 * the caller's own extension: `.js` from dist/, `.ts` under tsx (tests, benchmarks). A worker
 * thread does not inherit tsx's loader on Node 20, so for a `.ts` module the worker registers tsx
 * itself before importing it; tsx is then installed, being what runs the caller. `resolve` is the
 * caller's `import.meta.resolve` (ESM resolution; require's would find tsx's CommonJS API).
 */
export function startModuleWorker(
  callerUrl: string,
  name: string,
  options: WorkerOptions,
  resolve: (specifier: string) => string,
): Worker {
  const extension = extname(fileURLToPath(callerUrl));
  const moduleUrl = new URL(`./${name}${extension}`, callerUrl);
  if (extension !== '.ts') return new Worker(moduleUrl, options);
  const tsx = resolve('tsx/esm/api');
  const source = `
    import(${JSON.stringify(tsx)})
      .then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl.href)}); })
      .catch((error) => { setImmediate(() => { throw error; }); });`;
  return new Worker(source, { ...options, eval: true });
}
