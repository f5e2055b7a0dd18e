/** Offset paging as the AuthMS APIs define it: 1-based pages of 1..100 items, 20 by default. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Deeper pages are refused so that offsets stay exact integers in every store. */
export const MAX_PAGE = 10_000_000;

/** AuthMS `dto.PageInfo`. */
export interface PageInfo {
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
  has_next: boolean;
  has_prev: boolean;
}

/** LIMIT/OFFSET of a page; `page` and `pageSize` are already validated. */
export function toLimitOffset(page: number, pageSize: number): { limit: number; offset: number } {
  return { limit: pageSize, offset: (page - 1) * pageSize };
}

/** Builds the pagination block; a page past the end reports has_next false and has_prev true. */
export function buildPageInfo(page: number, pageSize: number, total: number): PageInfo {
  const totalPages = Math.ceil(total / pageSize);
  return {
    page,
    page_size: pageSize,
    total,
    total_pages: totalPages,
    has_next: page < totalPages,
    has_prev: page > 1,
  };
}
