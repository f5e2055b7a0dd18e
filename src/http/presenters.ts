import { buildPageInfo, type PageInfo } from '../domain/paging.js';
import { formatRfc3339 } from '../domain/time.js';
import type { CountedPage } from '../domain/audit-store.js';

/** The AuthMS success envelope; `code` equals the HTTP status (200). */
export function envelope<Body extends object>(body: Body) {
  return { code: 200, message: 'ok', ...body, timestamp: formatRfc3339(Date.now()) };
}

/** The AuthMS list envelope: items, the flat total and the nested pagination block. */
export function listEnvelope<Row, Item>(
  page: CountedPage<Row>,
  query: { page: number; page_size: number },
  present: (row: Row) => Item,
): ReturnType<typeof envelope<{ items: Item[]; total: number; pagination: PageInfo }>> {
  return envelope({
    items: page.rows.map(present),
    total: page.total,
    pagination: buildPageInfo(query.page, query.page_size, page.total),
  });
}
