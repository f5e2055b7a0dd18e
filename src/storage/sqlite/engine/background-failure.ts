/**
 * Hears that a background part of the embedded store failed: the writer thread, its WAL
 * checkpointer, the search indexer. Each recovers by itself (a new thread, automatic checkpoints, a
 * restart after a pause); this is how the operator learns it happened (the app's logger).
 */
export type BackgroundFailureListener = (component: string, error: Error) => void;

/** What the writer thread posts when its checkpointer fails (see writer-worker.ts). */
export interface BackgroundFailureReport {
  failed: string;
  name: string;
  message: string;
}

/**
 * A worker thread's uncaught error as its 'error' event delivers it: an Error, or, for the
 * driver's SqliteError (a subclass the structured clone does not know), a plain object that kept
 * only its own fields (`code`). Either way an Error whose message says what is known.
 */
export function threadError(value: unknown): Error {
  if (value instanceof Error) return value;
  const { code, message } = (typeof value === 'object' && value !== null ? value : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const parts = [code, message].filter((part): part is string => typeof part === 'string' && part !== '');
  const error = new Error(parts.length > 0 ? parts.join(': ') : String(value)) as Error & { code?: string };
  if (typeof code === 'string') error.code = code;
  return error;
}
