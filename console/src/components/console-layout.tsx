import { Button, Layout, Menu, Space, Typography } from 'antd';
import { callApi } from '../api/http';
import type { ConsoleSession } from '../api/types';
import { useI18n } from '../i18n/i18n-context';
import { KINDS, type Kind } from '../kinds';
import { viewPath } from '../paths';
import { navigate, type ConsoleLocation } from '../url-state';
import { LogView } from '../views/log-view';
import { LanguageSwitch } from './language-switch';
import { TenantSwitch } from './tenant-switch';

/**
 * The signed-in console: header (tenant, language, who, sign out), the menu of the four views,
 * and the view of `kind`.
 */
export function ConsoleLayout({
  session,
  kind,
  location,
  onSignedOut,
}: {
  session: ConsoleSession;
  kind: Kind;
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
  const goTo = (target: Kind) => {
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
              selectedKeys={[kind]}
              items={KINDS.map((item) => ({ key: item, label: t(`kind.${item}`) }))}
              onClick={({ key }) => {
                goTo(key as Kind);
              }}
            />
          </nav>
        </Layout.Sider>
        {/* antd renders the content as <main>. */}
        <Layout.Content className="console-content">
          <LogView key={kind} kind={kind} location={location} session={session} />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
