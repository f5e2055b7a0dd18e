/**
 * Runs synchronous better-sqlite3 work behind the asynchronous AuditStore interface, turning a
 * throw into a rejected promise as an asynchronous adapter would (never a synchronous throw).
 */
export function asPromise<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
