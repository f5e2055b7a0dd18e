import { Descriptions, Drawer, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import type { LogItem } from '../api/types';
import { FieldValue } from '../components/field-value';
import { useI18n } from '../i18n/i18n-context';
import type { KindSpec } from '../kinds';
import { StatusTimeline } from './status-timeline';

// WebCrypto, the note parser and (if ever needed) noble load with the proof panel only.
const ProofPanel = lazy(() => import('./proof-panel'));

/**
 * Everything about one record: every field, the proof check, for a communication log its delivery
 * history, and the record as the API answered it (JSON, as text).
 */
export default function DetailDrawer({
  spec,
  item,
  onClose,
}: {
  spec: KindSpec;
  item: LogItem;
  onClose: () => void;
}) {
  const { t, fieldLabel } = useI18n();
  return (
    <Drawer
      open
      size={720}
      title={t('details', { id: item.id })}
      onClose={onClose}
      closable={{ 'aria-label': t('close') }}
      data-testid="detail-drawer"
    >
      <Suspense fallback={<Typography.Text type="secondary">{t('loading')}</Typography.Text>}>
        <ProofPanel spec={spec} item={item} />
      </Suspense>
      <Descriptions
        title={t('fields')}
        bordered
        size="small"
        column={1}
        items={Object.entries(item).map(([field, value]) => ({
          key: field,
          label: fieldLabel(field),
          children: <FieldValue field={field} value={value} full />,
        }))}
      />
      {spec.kind === 'communication-log' && <StatusTimeline item={item} />}
      <Typography.Title level={2} className="drawer-section">
        {t('rawJson')}
      </Typography.Title>
      <pre className="raw-json" data-testid="raw-json" tabIndex={0} aria-label={t('rawJson')}>
        {JSON.stringify(item, null, 2)}
      </pre>
    </Drawer>
  );
}
