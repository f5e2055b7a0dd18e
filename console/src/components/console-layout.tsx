import { Button, Layout, Menu, Space, Spin, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { callApi } from '../api/http';
import type { ConsoleSession } from '../api/types';
import { useI18n } from '../i18n/i18n-context';
import { KINDS } from '../kinds';
import { STREAMS_VIEW, viewPath, type ViewId } from '../paths';
import { navigate, type ConsoleLocation } from '../url-state';
import { LogView } from '../views/log-view';
import { LanguageSwitch } from './language-switch';
import { TenantSwitch } from './tenant-switch';

// The streams view is for operators now and then: it stays out of the first view's bundle.
const StreamsView = lazy(() => import('../views/streams-view'));

/**
 * The signed-in console: header (tenant, language, who, sign out), the menu of the four log views
 * and the streams view, and the view `view` names.
 */
export function ConsoleLayout({
  session,
  view,
  location,
  onSignedOut,
}: {
  session: ConsoleSession;
  view: ViewId;
  location: ConsoleLocation;
  onSignedOut: () => void;
}) {
  const { t } = useI18n();
  const tenantId = location.query.get('tenant_id') ?? undefined;
  const signOut = async () => {
    try {
      await callApi('DELETE', '/v1/console/session');
    } finally {
      onSignedOut();
    }
  };
  const goTo = (target: ViewId) => {
    // The tenant stays when switching views; the filters are the view's own.
    const query = new URLSearchParams();
    if (tenantId !== undefined) query.set('tenant_id', tenantId);
    navigate(viewPath(target), query);
  };
  return (
    <Layout className="console">
      <Layout.Header className="console-header">
        <Typography.Text strong className="console-title">
          {t('appTitle')}
        </Typography.Text>
        <Space size="middle" wrap>
          <TenantSwitch session={session} tenantId={tenantId} location={location} />
          <LanguageSwitch />
          <Typography.Text className="console-user">{t('signedInAs', { sub: session.sub })}</Typography.Text>
          <Button onClick={() => void signOut()} data-testid="sign-out">
            {t('signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={230} theme="light" className="console-sider" breakpoint="lg" collapsedWidth={0}>
          <nav aria-label={t('mainMenu')}>
            <Menu
              mode="inline"
              selectedKeys={[view]}
              items={[
                ...KINDS.map((item) => ({ key: item, label: t(`kind.${item}`) })),
                { type: 'divider' as const },
                { key: STREAMS_VIEW, label: t('streams.menu'), 'data-testid': 'menu-streams' },
              ]}
              onClick={({ key }) => {
                goTo(key as ViewId);
              }}
            />
          </nav>
        </Layout.Sider>
        {/* antd renders the content as <main>. */}
        <Layout.Content className="console-content">
          {view === STREAMS_VIEW ? (
            <Suspense
              fallback={
                <div className="centered-inline" role="status">
                  <Spin />
                  <span className="visually-hidden">{t('loading')}</span>
                </div>
              }
            >
              {/* Keyed by tenant: another tenant's rows and pending actions mean nothing there. */}
              <StreamsView key={tenantId ?? ''} tenantId={tenantId} session={session} />
            </Suspense>
          ) : (
            <LogView key={view} kind={view} location={location} session={session} />
          )}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
