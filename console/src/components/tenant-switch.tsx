import { Select, Tag, Typography } from 'antd';
import { getData } from '../api/http';
import type { ConsoleSession } from '../api/types';
import { useI18n } from '../i18n/i18n-context';
import { useApi } from '../use-api';
import { navigate, type ConsoleLocation } from '../url-state';

/**
 * Which tenant the views show. A platform admin (no tenant of their own) picks any, or all; a
 * tenant admin sees their own tenant named, with nothing to switch.
 */
export function TenantSwitch({
  session,
  tenantId,
  location,
}: {
  session: ConsoleSession;
  tenantId: string | undefined;
  location: ConsoleLocation;
}) {
  const { t } = useI18n();
  const platformAdmin = session.tenant_id === null;
  const tenants = useApi(platformAdmin ? 'tenants' : undefined, () =>
    getData<{ items: string[] }>('/v1/console/tenants'),
  );
  if (!platformAdmin) {
    return (
      <span>
        <Typography.Text type="secondary">{t('tenant')}: </Typography.Text>
        <Tag data-testid="tenant-name">{session.tenant_id}</Tag>
      </span>
    );
  }
  const select = (value: string) => {
    // Another tenant's pages and cursors mean nothing here: the view starts again.
    const query = new URLSearchParams();
    if (value !== '') query.set('tenant_id', value);
    navigate(location.path, query);
  };
  return (
    <Select
      aria-label={t('tenant')}
      data-testid="tenant-switch"
      loading={tenants.loading}
      value={tenantId ?? ''}
      onChange={select}
      showSearch
      style={{ minWidth: 180 }}
      options={[
        { value: '', label: t('allTenants') },
        ...(tenants.data?.items ?? []).map((tenant) => ({ value: tenant, label: tenant })),
      ]}
    />
  );
}
