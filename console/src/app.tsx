import { Spin } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { ApiError, getData, UNAUTHORIZED_EVENT, type UnauthorizedDetail } from './api/http';
import type { ConsoleSession } from './api/types';
import { ConsoleLayout } from './components/console-layout';
import { useI18n } from './i18n/i18n-context';
import { FIRST_VIEW, SIGN_IN_PATH, viewOfPath } from './paths';
import { navigate, useLocation } from './url-state';
import { SignInPage } from './views/sign-in-page';

type SessionState =
  { state: 'loading' } | { state: 'signed-out' } | { state: 'signed-in'; session: ConsoleSession };

/**
 * The console: the sign-in page, or the signed-in layout with the view the path names. The
 * session is asked for once on load; any 401 afterwards (the session expired or was ended
 * elsewhere) goes back to the sign-in page.
 */
export function App() {
  const { t } = useI18n();
  const location = useLocation();
  const [session, setSession] = useState<SessionState>({ state: 'loading' });
  // When the browser last signed in (performance.now()): the answer to the session request sent
  // on load, or a 401 to any request sent before, may arrive after a sign-in and must not undo it.
  const signedInAt = useRef(-Infinity);
  const onSignInPage = location.path === SIGN_IN_PATH;

  useEffect(() => {
    let current = true;
    getData<ConsoleSession>('/v1/console/session').then(
      (data) => {
        if (current)
          setSession((now) => (now.state === 'loading' ? { state: 'signed-in', session: data } : now));
      },
      (error: unknown) => {
        // A 401 also fired UNAUTHORIZED_EVENT; anything else (server down) shows the sign-in page too.
        if (current && !(error instanceof ApiError && error.status === 401))
          setSession((now) => (now.state === 'loading' ? { state: 'signed-out' } : now));
      },
    );
    const signedOut = (event: Event) => {
      const { sentAt } = (event as CustomEvent<UnauthorizedDetail>).detail;
      if (sentAt >= signedInAt.current) setSession({ state: 'signed-out' });
    };
    window.addEventListener(UNAUTHORIZED_EVENT, signedOut);
    return () => {
      current = false;
      window.removeEventListener(UNAUTHORIZED_EVENT, signedOut);
    };
  }, []);

  const view = viewOfPath(location.path);
  useEffect(() => {
    if (session.state === 'signed-out' && !onSignInPage) navigate(SIGN_IN_PATH, undefined, { replace: true });
    if (session.state === 'signed-in' && !onSignInPage && view === undefined) {
      navigate(FIRST_VIEW, location.query, { replace: true });
    }
  }, [session.state, onSignInPage, view, location.query]);

  if (onSignInPage) {
    return (
      <SignInPage
        signedIn={session.state === 'signed-in'}
        onSignedIn={(data) => {
          signedInAt.current = performance.now();
          setSession({ state: 'signed-in', session: data });
          navigate(FIRST_VIEW, undefined, { replace: true });
        }}
      />
    );
  }
  if (session.state !== 'signed-in' || view === undefined) {
    return (
      <div className="centered" role="status">
        <Spin />
        <span className="visually-hidden">{t('loading')}</span>
      </div>
    );
  }
  return (
    <ConsoleLayout
      session={session.session}
      view={view}
      location={location}
      onSignedOut={() => {
        setSession({ state: 'signed-out' });
      }}
    />
  );
}
