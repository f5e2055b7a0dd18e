import { Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { LogItem } from '../api/types';
import { FieldValue } from '../components/field-value';
import { useI18n } from '../i18n/i18n-context';
import type { KindSpec } from '../kinds';

/**
 * A page of records, newest first (as /v1/logs answers them). A row opens the detail drawer on a
 * click or on Enter/Space when focused (rows are in the tab order). Paging is the Pager's: the
 * table's own pagination is off.
 */
export function LogTable({
  spec,
  items,
  loading,
  showTenant,
  onOpen,
}: {
  spec: KindSpec;
  items: LogItem[] | undefined;
  loading: boolean;
  showTenant: boolean;
  onOpen: (item: LogItem) => void;
}) {
  const { t, fieldLabel } = useI18n();
  const fields = [...spec.columns, ...(showTenant ? ['tenant_id'] : []), 'id'];
  const columns: ColumnsType<LogItem> = fields.map((field) => ({
    key: field,
    dataIndex: field,
    title: fieldLabel(field),
    render: (value: unknown) => <FieldValue field={field} value={value} />,
  }));
  return (
    // Scrolled by CSS (.log-table): antd's own horizontal scroll measures the scrollbar with a
    // <style> tag that carries no nonce, which the console's CSP refuses.
    <div
      className="log-table"
      data-testid="log-table"
      data-state={loading ? 'loading' : 'ready'}
      aria-busy={loading}
    >
      <Table<LogItem>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={items ?? []}
        loading={loading}
        pagination={false}
        locale={{ emptyText: t('noRows') }}
        title={() => t('tableCaption', { kind: t(`kind.${spec.kind}`) })}
        onRow={(item) => ({
          tabIndex: 0,
          className: 'log-row',
          'data-testid': 'log-row',
          onClick: () => {
            onOpen(item);
          },
          onKeyDown: (event) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              onOpen(item);
            }
          },
        })}
      />
    </div>
  );
}
