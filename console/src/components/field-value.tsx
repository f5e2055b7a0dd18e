import { Tag, Typography } from 'antd';
import { useI18n } from '../i18n/i18n-context';
import { TIME_FIELDS } from '../kinds';
import { DateTime, instantOf } from './date-time';

/** What sealog answers for a value whose subject was erased. */
export const ERASED = '[erased]';

/**
 * One field of a record as text (never as HTML: React escapes it): instants in the viewer's time
 * zone, erased values as an "erased" tag, nested values (an access log's query) as JSON.
 */
export function FieldValue({
  field,
  value,
  full = false,
}: {
  field: string;
  value: unknown;
  full?: boolean;
}) {
  const { t } = useI18n();
  if (value === ERASED) {
    return (
      <Tag color="default" data-erased="true">
        {t('erased')}
      </Tag>
    );
  }
  if (TIME_FIELDS.has(field)) {
    const ms = instantOf(value);
    if (ms !== undefined) return <DateTime ms={ms} />;
  }
  if (value === null || value === undefined || value === '') {
    return <Typography.Text type="secondary">{t('empty')}</Typography.Text>;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (full) return <span className="field-text">{text}</span>;
  return (
    <Typography.Text ellipsis={{ tooltip: text }} style={{ maxWidth: 320 }}>
      {text}
    </Typography.Text>
  );
}
