import { useCallback, useEffect, useRef, useState } from 'react';
import { callJson, withQuery } from './api/http';
import type { StreamAnswer, StreamItem, StreamList } from './api/types';

/** How often the open streams view asks again, in ms: lag and state move while one watches. */
export const STREAMS_REFRESH_MS = 10_000;

/** A stream's identity: names are unique per owner (a tenant, or the platform). */
export function streamKey(stream: Pick<StreamItem, 'name' | 'tenant_id'>): string {
  return `${stream.tenant_id ?? ''}/${stream.name}`;
}

/** The streams the view shows, and what it can do with them. */
export interface StreamsState {
  /** The latest list answered; kept while a refresh is under way or failed, so rows never blink. */
  streams: StreamItem[] | undefined;
  /** A list request is under way. */
  loading: boolean;
  /** Why the latest list request failed, or undefined once one succeeds. */
  error: Error | undefined;
  /** Asks for the list now. */
  refresh: () => void;
  /** Pauses (true) or resumes `stream`; its row becomes the API's answer. Rejects with an ApiError. */
  setPaused: (stream: StreamItem, paused: boolean) => Promise<void>;
}

/**
 * The streams visible to the signed-in admin (GET /v1/streams; `tenantId` narrows a platform
 * admin's list to one tenant), asked for on mount, on refresh() and every STREAMS_REFRESH_MS while
 * the page is visible. Only the latest request's answer is kept: an older list answering late, or
 * one sent before a pause or resume answered, never replaces newer rows.
 */
export function useStreams(tenantId: string | undefined): StreamsState {
  // Each list request is an attempt; the latest answered one says whether a request is under way.
  const [attempt, setAttempt] = useState(0);
  const [answered, setAnswered] = useState(-1);
  const [streams, setStreams] = useState<StreamItem[]>();
  const [error, setError] = useState<Error>();
  // Pauses and resumes answered so far: a list sent before one of them may show its stream as it was.
  const actions = useRef(0);

  useEffect(() => {
    let current = true;
    const actionsBefore = actions.current;
    callJson<StreamList>('GET', withQuery('/v1/streams', { tenant_id: tenantId })).then(
      (answer) => {
        if (!current) return;
        if (actions.current === actionsBefore) setStreams(answer.streams);
        setError(undefined);
        setAnswered(attempt);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setAnswered(attempt);
      },
    );
    return () => {
      current = false;
    };
  }, [tenantId, attempt]);

  const refresh = useCallback(() => {
    setAttempt((n) => n + 1);
  }, []);
  useEffect(() => {
    const timer = window.setInterval(() => {
      // A hidden tab asks nothing; the next tick after it shows again does.
      if (document.visibilityState !== 'hidden') refresh();
    }, STREAMS_REFRESH_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [refresh]);

  const setPaused = useCallback(async (stream: StreamItem, paused: boolean) => {
    const path = `/v1/streams/${encodeURIComponent(stream.name)}/${paused ? 'pause' : 'resume'}`;
    // A platform admin names the stream's tenant; a platform stream names none.
    const answer = await callJson<StreamAnswer>(
      'POST',
      withQuery(path, { tenant_id: stream.tenant_id ?? undefined }),
    );
    actions.current += 1;
    const key = streamKey(answer.stream);
    setStreams((rows) => rows?.map((row) => (streamKey(row) === key ? answer.stream : row)));
  }, []);

  return { streams, loading: answered !== attempt, error, refresh, setPaused };
}
