import { Descriptions, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { ReactNode } from 'react';
import type { StreamItem } from '../api/types';
import { DateTime, instantOf } from '../components/date-time';
import { useI18n, type I18n } from '../i18n/i18n-context';
import { isKind } from '../kinds';
import { destinationTarget, humanBytes, humanCount, humanDuration } from '../stream-format';
import { streamKey } from '../use-streams';
import { StreamAction } from './stream-action';

/** An instant of the API (RFC 3339, or null) in the viewer's time zone, UTC on hover. */
function When({ value, none }: { value: string | null; none: string }) {
  const ms = instantOf(value);
  return ms === undefined ? <Typography.Text type="secondary">{none}</Typography.Text> : <DateTime ms={ms} />;
}

/** Why a stream is in its state, for the tag's tooltip: the pause's reason, else the last error. */
function stateExplanation(stream: StreamItem, t: I18n['t']): string {
  if (stream.state === 'paused') {
    return t('streams.pausedBecause', { reason: stream.paused_reason ?? '' });
  }
  if (stream.last_error !== null) return t('streams.lastErrorWas', { message: stream.last_error.message });
  return t('streams.noError');
}

/** The row's expansion: the pause, the last error and the stream's dates in full. */
function StreamDetails({ stream }: { stream: StreamItem }) {
  const { t } = useI18n();
  const never = t('streams.never');
  const items: { key: string; label: string; children: ReactNode }[] = [];
  if (stream.state === 'paused') {
    items.push(
      { key: 'paused_reason', label: t('streams.detail.pausedReason'), children: stream.paused_reason ?? '' },
      {
        key: 'paused_at',
        label: t('streams.detail.pausedAt'),
        children: <When value={stream.paused_at} none={never} />,
      },
    );
  }
  items.push(
    {
      key: 'last_error',
      label: t('streams.detail.lastError'),
      children:
        stream.last_error === null ? (
          <Typography.Text type="secondary">{t('streams.noError')}</Typography.Text>
        ) : (
          <span className="field-text" data-testid="stream-last-error">
            <When value={stream.last_error.at} none={never} /> — {stream.last_error.message}
          </span>
        ),
    },
    {
      key: 'created_at',
      label: t('streams.detail.createdAt'),
      children: <When value={stream.created_at} none={never} />,
    },
    {
      key: 'updated_at',
      label: t('streams.detail.updatedAt'),
      children: <When value={stream.updated_at} none={never} />,
    },
  );
  return <Descriptions className="stream-details" size="small" column={1} bordered items={items} />;
}

/**
 * The streams with their health, one row each; a row expands to the pause's reason and the last
 * error in full. Rows keep the API's order (by owner, then name).
 */
export function StreamsTable({
  streams,
  loading,
  showTenant,
  empty,
  onPaused,
}: {
  streams: StreamItem[] | undefined;
  loading: boolean;
  showTenant: boolean;
  /** Shown when the list is empty: how to create a stream. */
  empty: ReactNode;
  onPaused: (stream: StreamItem, paused: boolean) => Promise<void>;
}) {
  const { t, language } = useI18n();
  const columns: ColumnsType<StreamItem> = [
    {
      key: 'name',
      title: t('streams.column.name'),
      render: (_, stream) => (
        <Typography.Text strong className="nowrap">
          {stream.name}
        </Typography.Text>
      ),
    },
    ...(showTenant
      ? [
          {
            key: 'tenant_id',
            title: t('field.tenant_id'),
            render: (_: unknown, stream: StreamItem) =>
              stream.tenant_id ?? <Tag>{t('streams.platform')}</Tag>,
          },
        ]
      : []),
    {
      key: 'destination',
      title: t('streams.column.destination'),
      render: (_, stream) => {
        const target = destinationTarget(stream.destination);
        return (
          <Space size={4} data-testid="stream-destination">
            <Tag>{stream.destination.type}</Tag>
            <Typography.Text ellipsis={{ tooltip: target }} style={{ maxWidth: 260 }}>
              {target}
            </Typography.Text>
          </Space>
        );
      },
    },
    {
      key: 'kinds',
      title: t('streams.column.kinds'),
      render: (_, stream) => (
        <Space size={[0, 4]} wrap>
          {stream.kinds.map((kind) => (
            <Tag key={kind} title={isKind(kind) ? t(`kind.${kind}`) : kind}>
              {kind}
            </Tag>
          ))}
        </Space>
      ),
    },
    {
      key: 'state',
      title: t('streams.column.state'),
      render: (_, stream) => (
        <Tooltip title={stateExplanation(stream, t)}>
          {/* Focusable, so that a keyboard reaches the tooltip too. */}
          <Tag
            // Coloured by console.css (green, orange, red): antd's own warning tag falls under 4.5:1.
            className={`stream-state stream-state-${stream.state}`}
            tabIndex={0}
            data-testid="stream-state"
            data-state={stream.state}
          >
            {t(`streams.state.${stream.state}`)}
          </Tag>
        </Tooltip>
      ),
    },
    {
      key: 'lag',
      title: t('streams.column.lag'),
      render: (_, { lag }) =>
        lag.events === 0 ? (
          <Typography.Text type="secondary">{t('streams.upToDate')}</Typography.Text>
        ) : (
          <span className="nowrap" data-testid="stream-lag">
            {t('streams.events', { n: humanCount(lag.events, language) })}
            <br />
            <Typography.Text type="secondary">
              {t('streams.behind', { duration: humanDuration(lag.seconds, t) })}
            </Typography.Text>
          </span>
        ),
    },
    {
      key: 'last_success_at',
      title: t('streams.column.lastSuccess'),
      render: (_, stream) => (
        <span className="nowrap">
          <When value={stream.last_success_at} none={t('streams.never')} />
        </span>
      ),
    },
    {
      key: 'delivered',
      title: t('streams.column.delivered'),
      render: (_, stream) => (
        <span className="nowrap" data-testid="stream-delivered">
          {t('streams.events', { n: humanCount(stream.events_delivered, language) })}
          <br />
          <Typography.Text type="secondary">{humanBytes(stream.bytes_delivered, language)}</Typography.Text>
        </span>
      ),
    },
    {
      key: 'action',
      title: t('streams.column.action'),
      render: (_, stream) => <StreamAction stream={stream} onPaused={onPaused} />,
    },
  ];
  return (
    // Scrolled by CSS, as the log tables are (antd's own scroll needs a <style> without the nonce).
    <div
      className="log-table"
      data-testid="streams-table"
      data-state={loading || streams === undefined ? 'loading' : 'ready'}
      aria-busy={loading}
    >
      <Table<StreamItem>
        rowKey={streamKey}
        size="small"
        columns={columns}
        dataSource={streams ?? []}
        // Only the first load covers the table: a refresh keeps the rows readable.
        loading={streams === undefined && loading}
        pagination={false}
        locale={{ emptyText: streams === undefined ? ' ' : empty }}
        title={() => t('streams.caption')}
        expandable={{ expandedRowRender: (stream) => <StreamDetails stream={stream} /> }}
        onRow={(stream) => ({
          className: 'stream-row',
          'data-testid': 'stream-row',
          'data-name': stream.name,
          'data-state': stream.state,
        })}
      />
    </div>
  );
}
