import { Button, DatePicker, Form, Input, Select, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useI18n } from '../i18n/i18n-context';
import type { KindSpec } from '../kinds';
import { RANGE_PRESETS, type RangeChoice, type ViewQuery } from '../view-query';

/** What the filter bar applies: the kind's filters and the time range. */
export interface FilterChoice {
  filters: Record<string, string>;
  range: RangeChoice;
  from: string | undefined;
  until: string | undefined;
}

/**
 * The labelled filters of a view and its time range (presets or a custom range). Changes apply on
 * Search (or Enter in a field); the bar is re-created from the URL whenever the URL changes, so
 * the back button restores it too.
 */
export function FilterBar({
  spec,
  view,
  onApply,
}: {
  spec: KindSpec;
  view: ViewQuery;
  onApply: (choice: FilterChoice) => void;
}) {
  const { t, fieldLabel } = useI18n();
  const [filters, setFilters] = useState<Record<string, string>>({ ...view.filters });
  const [range, setRange] = useState<RangeChoice>(view.range);
  const [custom, setCustom] = useState<[Dayjs, Dayjs] | null>(
    view.range === 'custom' && view.from !== undefined && view.until !== undefined
      ? [dayjs(view.from), dayjs(view.until)]
      : null,
  );
  const apply = (next: { range?: RangeChoice; custom?: [Dayjs, Dayjs] | null } = {}) => {
    const chosenRange = next.range ?? range;
    const chosenCustom = next.custom === undefined ? custom : next.custom;
    const isCustom = chosenRange === 'custom' && chosenCustom !== null;
    onApply({
      filters: Object.fromEntries(Object.entries(filters).filter(([, value]) => value.trim() !== '')),
      range: isCustom ? 'custom' : chosenRange === 'custom' ? view.range : chosenRange,
      from: isCustom ? chosenCustom[0].toISOString() : undefined,
      until: isCustom ? chosenCustom[1].toISOString() : undefined,
    });
  };
  const set = (name: string, value: string | undefined) => {
    setFilters((current) => ({ ...current, [name]: value ?? '' }));
  };
  return (
    <Form
      layout="inline"
      className="filter-bar"
      aria-label={t('filters')}
      onFinish={() => {
        apply();
      }}
    >
      {spec.filters.map(({ name, options }) => (
        <Form.Item key={name} label={fieldLabel(name)} htmlFor={`filter-${name}`}>
          {options === undefined ? (
            <Input
              id={`filter-${name}`}
              name={name}
              allowClear
              value={filters[name] ?? ''}
              onChange={(event) => {
                set(name, event.target.value);
              }}
              style={{ width: 170 }}
            />
          ) : (
            <Select
              id={`filter-${name}`}
              aria-label={fieldLabel(name)}
              allowClear
              placeholder={t('any')}
              value={filters[name] ?? null}
              onChange={(value: string | null) => {
                set(name, value ?? undefined);
              }}
              options={options.map((value) => ({ value, label: value }))}
              style={{ width: 130 }}
            />
          )}
        </Form.Item>
      ))}
      <Form.Item label={t('timeRange')} htmlFor="filter-range">
        <Space wrap>
          <Select
            id="filter-range"
            aria-label={t('timeRange')}
            value={range}
            onChange={(value: RangeChoice) => {
              setRange(value);
              if (value !== 'custom') apply({ range: value });
            }}
            options={[...RANGE_PRESETS, 'custom' as const].map((value) => ({
              value,
              label: t(`range.${value}`),
            }))}
            style={{ width: 150 }}
          />
          {range === 'custom' && (
            <DatePicker.RangePicker
              showTime
              aria-label={t('timeRange')}
              placeholder={[t('rangeFrom'), t('rangeUntil')]}
              value={custom}
              presets={RANGE_PRESETS.map((preset) => ({
                label: t(`range.${preset}`),
                value: () => presetRange(preset),
              }))}
              onChange={(value) => {
                const chosen = value?.[0] && value[1] ? ([value[0], value[1]] as [Dayjs, Dayjs]) : null;
                setCustom(chosen);
                if (chosen !== null) apply({ range: 'custom', custom: chosen });
              }}
            />
          )}
        </Space>
      </Form.Item>
      <Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" data-testid="apply-filters">
            {t('apply')}
          </Button>
          <Button
            onClick={() => {
              setFilters({});
              onApply({ filters: {}, range: '7d', from: undefined, until: undefined });
            }}
          >
            {t('reset')}
          </Button>
        </Space>
      </Form.Item>
    </Form>
  );
}

const PRESET_HOURS = { '1h': 1, '24h': 24, '7d': 7 * 24, '30d': 30 * 24 } as const;

/** A preset as a fixed range ending now, for the custom picker's shortcuts. */
function presetRange(preset: keyof typeof PRESET_HOURS): [Dayjs, Dayjs] {
  const now = dayjs();
  return [now.subtract(PRESET_HOURS[preset], 'hour'), now];
}
