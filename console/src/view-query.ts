/**
 * A view's state as its URL query holds it, so that every filter, the range and the page can be
 * shared and the back button restores them:
 *   tenant_id, <kind filters>, range=1h|24h|7d|30d|custom, from & until (custom: both; a preset:
 *   `until` pins the window while paging), limit, after (repeated: the cursor stack, one
 *   last_row_key per page turned, the current page's cursor last).
 */
import type { Params } from './api/http';
import type { KindSpec } from './kinds';

export const RANGE_PRESETS = ['1h', '24h', '7d', '30d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];
export type RangeChoice = RangePreset | 'custom';

export const PAGE_SIZES = [10, 20, 50, 100] as const;
const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_RANGE: RangePreset = '7d';

const PRESET_MS: Readonly<Record<RangePreset, number>> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

export interface ViewQuery {
  tenantId: string | undefined;
  filters: Readonly<Record<string, string>>;
  range: RangeChoice;
  /** RFC 3339; custom ranges only. */
  from: string | undefined;
  /** RFC 3339; a custom range's end, or the instant a preset's window ends at while paging. */
  until: string | undefined;
  limit: number;
  /** last_row_keys of the pages turned, oldest first; empty on the first page. */
  cursors: readonly string[];
}

const isInstant = (text: string | null): text is string => text !== null && !Number.isNaN(Date.parse(text));

/** The view state of `query` for `spec`'s kind; malformed values fall back to the defaults. */
export function parseViewQuery(spec: KindSpec, query: URLSearchParams): ViewQuery {
  const filters: Record<string, string> = {};
  for (const { name } of spec.filters) {
    const value = query.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  const rangeText = query.get('range');
  const from = query.get('from');
  const until = query.get('until');
  const custom = rangeText === 'custom' && isInstant(from) && isInstant(until);
  const range: RangeChoice = custom
    ? 'custom'
    : (RANGE_PRESETS as readonly string[]).includes(rangeText ?? '')
      ? (rangeText as RangePreset)
      : DEFAULT_RANGE;
  const limit = Number(query.get('limit'));
  return {
    tenantId: query.get('tenant_id') ?? undefined,
    filters,
    range,
    from: custom ? from : undefined,
    until: isInstant(until) ? until : undefined,
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    cursors: query.getAll('after').filter((cursor) => cursor !== ''),
  };
}

/** The URL query of `view` (defaults left out, so that a plain link stays plain). */
export function viewQueryString(view: ViewQuery): URLSearchParams {
  const query = new URLSearchParams();
  if (view.tenantId !== undefined && view.tenantId !== '') query.set('tenant_id', view.tenantId);
  for (const [name, value] of Object.entries(view.filters)) if (value !== '') query.set(name, value);
  if (view.range !== DEFAULT_RANGE) query.set('range', view.range);
  if (view.range === 'custom' && view.from !== undefined) query.set('from', view.from);
  if (view.until !== undefined) query.set('until', view.until);
  if (view.limit !== DEFAULT_PAGE_SIZE) query.set('limit', String(view.limit));
  for (const cursor of view.cursors) query.append('after', cursor);
  return query;
}

/** The instants a view covers: from inclusive, until exclusive, as Date. */
export interface ResolvedRange {
  from: Date;
  until: Date;
}

/** The window of `view` at `now` (ms): a custom range as given, a preset ending at its pin or now. */
export function resolveRange(view: ViewQuery, now: number): ResolvedRange {
  const until = view.until === undefined ? new Date(now) : new Date(view.until);
  if (view.range === 'custom' && view.from !== undefined) return { from: new Date(view.from), until };
  return {
    from: new Date(until.getTime() - PRESET_MS[view.range === 'custom' ? DEFAULT_RANGE : view.range]),
    until,
  };
}

/** The histogram's bucket: hours for ranges of up to 3 days, else days. */
export function histogramInterval(range: ResolvedRange): 'hour' | 'day' {
  return range.until.getTime() - range.from.getTime() <= 3 * 86_400_000 ? 'hour' : 'day';
}

/** The query parameters /v1/logs, /v1/export and the histogram share for `view` over `range`. */
export function apiFilterParams(view: ViewQuery, range: ResolvedRange): Params {
  return {
    tenant_id: view.tenantId,
    from: range.from.toISOString(),
    until: range.until.toISOString(),
    ...view.filters,
  };
}
