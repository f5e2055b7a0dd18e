import { useEffect, useEffectEvent, useState } from 'react';

/** A request's state: loading until the answer for the current key arrives. */
export interface ApiState<T> {
  loading: boolean;
  data: T | undefined;
  error: Error | undefined;
  /** Asks again with the same key. */
  reload: () => void;
}

/**
 * Runs `load` whenever `key` changes (undefined: nothing to load), and keeps only the answer to the
 * latest key: an older request answering late is dropped, so a slow page never replaces a newer one.
 */
export function useApi<T>(key: string | undefined, load: () => Promise<T>): ApiState<T> {
  const [attempt, setAttempt] = useState(0);
  const [result, setResult] = useState<{ key: string; data?: T; error?: Error }>();
  const fullKey = key === undefined ? undefined : `${attempt}:${key}`;
  const run = useEffectEvent(load);
  useEffect(() => {
    if (fullKey === undefined) return undefined;
    let current = true;
    run().then(
      (data) => {
        if (current) setResult({ key: fullKey, data });
      },
      (error: unknown) => {
        if (current)
          setResult({ key: fullKey, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      current = false;
    };
  }, [fullKey]);
  const settled = result !== undefined && result.key === fullKey;
  return {
    loading: fullKey !== undefined && !settled,
    data: settled ? result.data : undefined,
    error: settled ? result.error : undefined,
    reload: () => {
      setAttempt((n) => n + 1);
    },
  };
}
