import { Alert, Button, Card, Form, Input, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { callApi } from '../api/http';
import type { ConsoleSession } from '../api/types';
import { LanguageSwitch } from '../components/language-switch';
import { useI18n } from '../i18n/i18n-context';
import { FIRST_VIEW } from '../paths';
import { navigate } from '../url-state';

/**
 * The one-time link's secret, taken out of the address bar at once (so that it is neither in the
 * history nor seen twice: React may run an effect twice) or undefined when the page has none.
 */
function takeLinkSecret(): string | undefined {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const link = hash.get('link');
  if (link === null || link === '') return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return link;
}

const pendingLink = { secret: takeLinkSecret() };

/**
 * Signing in: with the one-time link `sealog console-link` prints (its secret in the fragment,
 * which browsers never send), or by pasting a JWT the platform issued. Either is exchanged for an
 * HttpOnly session cookie; the page keeps neither.
 */
export function SignInPage({
  signedIn,
  onSignedIn,
}: {
  signedIn: boolean;
  onSignedIn: (session: ConsoleSession) => void;
}) {
  const { t } = useI18n();
  const [linkState, setLinkState] = useState<'none' | 'checking' | 'refused'>(() =>
    pendingLink.secret === undefined ? 'none' : 'checking',
  );
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const secret = pendingLink.secret;
    pendingLink.secret = undefined;
    if (secret === undefined) {
      if (signedIn) navigate(FIRST_VIEW, undefined, { replace: true });
      return;
    }
    callApi<ConsoleSession>('POST', '/v1/console/sessions', { link: secret }).then(
      onSignedIn,
      (reason: unknown) => {
        setLinkState('refused');
        setError(reason instanceof Error ? reason.message : String(reason));
      },
    );
    // Once per page load: the secret is gone after the first run.
  }, [signedIn, onSignedIn]);

  const signInWithToken = async ({ token }: { token: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await callApi<ConsoleSession>('POST', '/v1/console/sessions', { token: token.trim() }));
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <div className="sign-in-language">
        <LanguageSwitch />
      </div>
      <Card className="sign-in-card">
        <Typography.Title level={1} className="sign-in-title">
          {t('signInTitle')}
        </Typography.Title>
        {linkState === 'checking' ? (
          <div role="status">
            <Spin /> {t('signInWithLink')}
          </div>
        ) : (
          <>
            {error !== undefined && (
              <Alert
                type="error"
                role="alert"
                showIcon
                title={
                  linkState === 'refused'
                    ? t('signInLinkFailed', { reason: error })
                    : t('signInFailed', { reason: error })
                }
                className="sign-in-error"
              />
            )}
            <Form layout="vertical" onFinish={(values: { token: string }) => void signInWithToken(values)}>
              <Form.Item
                name="token"
                label={t('tokenLabel')}
                extra={t('tokenHelp')}
                rules={[{ required: true, whitespace: true, message: t('tokenLabel') }]}
              >
                <Input.TextArea rows={4} autoComplete="off" spellCheck={false} data-testid="token-input" />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="sign-in-button">
                {t('signIn')}
              </Button>
            </Form>
            <Typography.Paragraph type="secondary" className="sign-in-hint">
              {t('signInLinkHint')}
            </Typography.Paragraph>
          </>
        )}
      </Card>
    </main>
  );
}
