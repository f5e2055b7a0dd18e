import { Alert, Button, Space, Typography } from 'antd';
import { lazy, Suspense, useMemo, useState } from 'react';
import { getData, withQuery } from '../api/http';
import type { ConsoleSession, Histogram, LogItem, LogPage } from '../api/types';
import { useI18n } from '../i18n/i18n-context';
import { KIND_SPECS, type Kind } from '../kinds';
import { useApi } from '../use-api';
import { navigate, type ConsoleLocation } from '../url-state';
import {
  apiFilterParams,
  histogramInterval,
  parseViewQuery,
  resolveRange,
  viewQueryString,
  type ViewQuery,
} from '../view-query';
import { FilterBar } from './filter-bar';
import { LogTable } from './log-table';
import { Pager } from './pager';
import { VolumeHistogram } from './volume-histogram';

// The drawer (details, timeline, raw JSON and the proof check) is not needed for the first view.
const DetailDrawer = lazy(() => import('./detail-drawer'));

/**
 * One log view: filters, range, histogram, the newest-first table with cursor paging, export and
 * the detail drawer. Everything but the open drawer lives in the URL query.
 */
export function LogView({
  kind,
  location,
  session,
}: {
  kind: Kind;
  location: ConsoleLocation;
  session: ConsoleSession;
}) {
  const { t } = useI18n();
  const spec = KIND_SPECS[kind];
  const view = useMemo(() => parseViewQuery(spec, location.query), [spec, location.query]);
  // A preset range ends now, "now" being when the URL last changed: paging pins it (view.until).
  const range = useMemo(() => resolveRange(view, location.at), [view, location.at]);
  const filterParams = apiFilterParams(view, range);
  const pageParams = { ...filterParams, limit: view.limit, after: view.cursors.at(-1) };
  const pageKey = withQuery(`/v1/logs/${kind}`, pageParams);
  const page = useApi(pageKey, () => getData<LogPage>(`/v1/logs/${kind}`, pageParams));
  const histogramParams = { ...filterParams, interval: histogramInterval(range) };
  const histogramKey = withQuery(`/v1/stats/${kind}/histogram`, histogramParams);
  const histogram = useApi(histogramKey, () =>
    getData<Histogram>(`/v1/stats/${kind}/histogram`, histogramParams),
  );
  const [selected, setSelected] = useState<LogItem>();

  const go = (next: Partial<ViewQuery>) => {
    navigate(location.path, viewQueryString({ ...view, ...next }));
  };
  const exportHref = (format: 'csv' | 'ndjson') =>
    withQuery(`/v1/export/${kind}`, { ...filterParams, format });

  return (
    <section aria-labelledby="view-title" data-testid={`view-${kind}`}>
      <Typography.Title level={1} id="view-title" className="view-title">
        {t(`kind.${kind}`)}
      </Typography.Title>
      <FilterBar
        key={location.search}
        spec={spec}
        view={view}
        onApply={(choice) => {
          go({ ...choice, cursors: [] });
        }}
      />
      <VolumeHistogram histogram={histogram.data} loading={histogram.loading} error={histogram.error} />
      <Space className="toolbar" wrap>
        <Pager
          page={view.cursors.length + 1}
          hasPrevious={view.cursors.length > 0}
          hasNext={page.data?.has_more === true}
          limit={view.limit}
          onPrevious={() => {
            const cursors = view.cursors.slice(0, -1);
            // Back on the first page, a preset range follows the clock again.
            go({ cursors, until: cursors.length === 0 && view.range !== 'custom' ? undefined : view.until });
          }}
          onNext={() => {
            const last = page.data?.last_row_key;
            if (last === undefined || last === '') return;
            go({ cursors: [...view.cursors, last], until: range.until.toISOString() });
          }}
          onLimit={(limit) => {
            go({ limit, cursors: [] });
          }}
        />
        <Space>
          <Button href={exportHref('csv')} download data-testid="export-csv">
            {t('exportCsv')}
          </Button>
          <Button href={exportHref('ndjson')} download data-testid="export-ndjson">
            {t('exportNdjson')}
          </Button>
        </Space>
      </Space>
      {page.error !== undefined ? (
        <Alert
          type="error"
          role="alert"
          showIcon
          data-testid="load-error"
          title={t('loadFailed', { reason: page.error.message })}
          action={<Button onClick={page.reload}>{t('retry')}</Button>}
        />
      ) : (
        <LogTable
          spec={spec}
          items={page.data?.items}
          loading={page.loading}
          showTenant={session.tenant_id === null && view.tenantId === undefined}
          onOpen={setSelected}
        />
      )}
      {selected !== undefined && (
        <Suspense fallback={null}>
          <DetailDrawer
            spec={spec}
            item={selected}
            onClose={() => {
              setSelected(undefined);
            }}
          />
        </Suspense>
      )}
    </section>
  );
}
