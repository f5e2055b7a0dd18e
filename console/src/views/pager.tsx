import { Button, Select, Space, Typography } from 'antd';
import { useI18n } from '../i18n/i18n-context';
import { PAGE_SIZES } from '../view-query';

/** Previous / next page over the cursor stack, and the page size. */
export function Pager({
  page,
  hasPrevious,
  hasNext,
  limit,
  onPrevious,
  onNext,
  onLimit,
}: {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  limit: number;
  onPrevious: () => void;
  onNext: () => void;
  onLimit: (limit: number) => void;
}) {
  const { t } = useI18n();
  return (
    <nav aria-label={t('pageNumber', { n: page })}>
      <Space wrap>
        <Button onClick={onPrevious} disabled={!hasPrevious} data-testid="previous-page">
          {t('previousPage')}
        </Button>
        <Typography.Text data-testid="page-number" aria-live="polite">
          {t('pageNumber', { n: page })}
        </Typography.Text>
        <Button onClick={onNext} disabled={!hasNext} data-testid="next-page">
          {t('nextPage')}
        </Button>
        <Select
          aria-label={t('pageSize')}
          data-testid="page-size"
          value={limit}
          onChange={onLimit}
          options={PAGE_SIZES.map((n) => ({ value: n, label: t('pageSizeOption', { n }) }))}
          style={{ width: 120 }}
        />
      </Space>
    </nav>
  );
}
