import { Alert, Skeleton, Timeline, Typography } from 'antd';
import { getFlat } from '../api/http';
import type { LogItem, StatusTransition } from '../api/types';
import { DateTime, instantOf } from '../components/date-time';
import { FieldValue } from '../components/field-value';
import { useI18n } from '../i18n/i18n-context';
import { useApi } from '../use-api';

const COLORS: Readonly<Record<string, string>> = { delivered: 'green', failed: 'red', sent: 'blue' };

/** A communication log's delivery-status history, oldest first (GET …/transitions). */
export function StatusTimeline({ item }: { item: LogItem }) {
  const { t, fieldLabel } = useI18n();
  const path = `/admin/communication/logs/${encodeURIComponent(item.id)}/transitions`;
  const history = useApi(`${path}?${item.tenant_id}`, () =>
    getFlat<{ items: StatusTransition[] }>(path, { tenant_id: item.tenant_id }),
  );
  let body;
  if (history.error !== undefined) {
    body = <Alert type="warning" showIcon title={t('loadFailed', { reason: history.error.message })} />;
  } else if (history.data === undefined) {
    body = <Skeleton active paragraph={{ rows: 2 }} />;
  } else if (history.data.items.length === 0) {
    body = <Typography.Text type="secondary">{t('timelineEmpty')}</Typography.Text>;
  } else {
    body = (
      <Timeline
        items={history.data.items.map((transition, index) => {
          const changed = instantOf(transition.changed_at);
          return {
            key: index,
            color: COLORS[transition.to_status] ?? 'gray',
            content: (
              <>
                <Typography.Text strong>
                  {t('timelineEntry', { from: transition.from_status, to: transition.to_status })}
                </Typography.Text>{' '}
                {changed !== undefined && <DateTime ms={changed} />}
                {transition.error !== null && transition.error !== '' && (
                  <div>
                    {fieldLabel('error')}: <FieldValue field="error" value={transition.error} full />
                  </div>
                )}
                {transition.response !== null && transition.response !== '' && (
                  <div>
                    {fieldLabel('response')}: <FieldValue field="response" value={transition.response} full />
                  </div>
                )}
              </>
            ),
          };
        })}
      />
    );
  }
  return (
    <section aria-labelledby="timeline-title" data-testid="status-timeline">
      <Typography.Title level={2} id="timeline-title" className="drawer-section">
        {t('timeline')}
      </Typography.Title>
      {body}
    </section>
  );
}
