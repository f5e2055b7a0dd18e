import { Alert, Skeleton, Typography } from 'antd';
import dayjs from 'dayjs';
import type { Histogram } from '../api/types';
import { useI18n } from '../i18n/i18n-context';

const WIDTH = 1000;
const HEIGHT = 120;
const GAP = 1;

/**
 * The volume of the current filter over the range: one SVG bar per bucket (drawn by hand, no chart
 * library). Screen readers get the summary as the image's label; each bar has its count as a
 * tooltip (SVG <title>).
 */
export function VolumeHistogram({
  histogram,
  loading,
  error,
}: {
  histogram: Histogram | undefined;
  loading: boolean;
  error: Error | undefined;
}) {
  const { t } = useI18n();
  if (error !== undefined) {
    return <Alert type="warning" showIcon title={t('loadFailed', { reason: error.message })} />;
  }
  if (loading || histogram === undefined) return <Skeleton.Node active className="histogram-skeleton" />;
  const { buckets, interval } = histogram;
  const format = interval === 'hour' ? 'YYYY-MM-DD HH:mm' : 'YYYY-MM-DD';
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  const peak = buckets.reduce<(typeof buckets)[number] | undefined>(
    (best, bucket) => (best === undefined || bucket.count > best.count ? bucket : best),
    undefined,
  );
  const max = Math.max(1, peak?.count ?? 0);
  const from = dayjs(histogram.from).format(format);
  const until = dayjs(histogram.until).format(format);
  const summary =
    total === 0 || peak === undefined
      ? t('histogramEmpty', { from, until })
      : t('histogramSummary', {
          total,
          from,
          until,
          interval: t(`interval.${interval}`),
          peakAt: dayjs(peak.start).format(format),
          peak: peak.count,
        });
  const barWidth = buckets.length === 0 ? WIDTH : WIDTH / buckets.length;
  return (
    <figure className="histogram" data-testid="histogram" data-total={total}>
      <Typography.Text type="secondary">{t('histogramTitle')}</Typography.Text>
      <svg
        role="img"
        aria-label={summary}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        width="100%"
        height={HEIGHT}
      >
        {buckets.map((bucket, index) => {
          const height = bucket.count === 0 ? 0 : Math.max(2, (bucket.count / max) * (HEIGHT - 4));
          return (
            <rect
              key={bucket.start}
              x={index * barWidth + GAP / 2}
              y={HEIGHT - height}
              width={Math.max(0.5, barWidth - GAP)}
              height={height}
              className="histogram-bar"
            >
              <title>
                {t('histogramBar', { start: dayjs(bucket.start).format(format), count: bucket.count })}
              </title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="histogram-caption">{summary}</figcaption>
    </figure>
  );
}
