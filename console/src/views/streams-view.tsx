import { ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Typography } from 'antd';
import type { ConsoleSession } from '../api/types';
import { useI18n } from '../i18n/i18n-context';
import { useStreams } from '../use-streams';
import { StreamsTable } from './streams-table';

/** What an empty list says: what a stream is and how to create one (there is no form for it here). */
function StreamsEmpty({ platformAdmin }: { platformAdmin: boolean }) {
  const { t } = useI18n();
  return (
    <div className="stream-empty" data-testid="streams-empty">
      <Typography.Title level={2} className="drawer-section">
        {t('streams.emptyTitle')}
      </Typography.Title>
      <Typography.Paragraph>{t('streams.emptyWhat')}</Typography.Paragraph>
      <Typography.Paragraph>
        {t('streams.emptyHow')} <Typography.Text code>PUT /v1/streams/{'{name}'}</Typography.Text>
      </Typography.Paragraph>
      <Typography.Paragraph>
        {t('streams.emptyMore')} <a href="/docs">{t('streams.apiReference')}</a>
      </Typography.Paragraph>
      {platformAdmin && <Typography.Paragraph>{t('streams.emptyPlatform')}</Typography.Paragraph>}
    </div>
  );
}

/**
 * The streams view: every stream the signed-in admin may see with its state, lag, last success
 * and what it delivered, refreshed every few seconds while open, each with Pause or Resume. A
 * tenant admin sees their tenant's streams; a platform admin every stream (the tenant column
 * naming whose), or one tenant's when the header's switcher names it.
 */
export function StreamsView({
  tenantId,
  session,
}: {
  tenantId: string | undefined;
  session: ConsoleSession;
}) {
  const { t } = useI18n();
  const platformAdmin = session.tenant_id === null;
  const { streams, loading, error, refresh, setPaused } = useStreams(tenantId);
  return (
    <section aria-labelledby="view-title" data-testid="view-streams">
      <Typography.Title level={1} id="view-title" className="view-title">
        {t('streams.title')}
      </Typography.Title>
      <div className="streams-toolbar">
        <Typography.Text type="secondary">{t('streams.intro')}</Typography.Text>
        <Button
          icon={<ReloadOutlined />}
          loading={loading && streams !== undefined}
          onClick={refresh}
          data-testid="streams-refresh"
        >
          {t('streams.refresh')}
        </Button>
      </div>
      {error !== undefined && (
        <Alert
          type="error"
          role="alert"
          showIcon
          className="sign-in-error"
          data-testid="load-error"
          title={t('loadFailed', { reason: error.message })}
          action={<Button onClick={refresh}>{t('retry')}</Button>}
        />
      )}
      <StreamsTable
        streams={streams}
        loading={loading}
        showTenant={platformAdmin && tenantId === undefined}
        empty={<StreamsEmpty platformAdmin={platformAdmin} />}
        onPaused={setPaused}
      />
    </section>
  );
}

// The default export is what React.lazy loads.
export default StreamsView;
