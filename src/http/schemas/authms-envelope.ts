import { Type, type TProperties, type TSchema } from 'typebox';
import { DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE } from '../../domain/paging.js';

/** AuthMS `dto.SimpleResponse`: every AuthMS error, and acknowledgements without data. */
export const SimpleResponse = Type.Object(
  {
    code: Type.Integer({ description: 'equals the HTTP status code' }),
    message: Type.String(),
    timestamp: Type.String({ description: 'RFC 3339 time of the response' }),
  },
  { title: 'dto.SimpleResponse' },
);

/** An AuthMS envelope (`code` 200, `message`, `timestamp`) around `fields`, as every /v1/ answer. */
export function enveloped<Fields extends TProperties>(fields: Fields, title: string) {
  return Type.Object(
    { code: Type.Integer(), message: Type.String(), ...fields, timestamp: Type.String() },
    { title },
  );
}

/** AuthMS `dto.PageInfo`. */
export const PageInfo = Type.Object(
  {
    page: Type.Integer({ description: 'Page is the current page number (1-based)' }),
    page_size: Type.Integer({ description: 'PageSize is the number of items per page' }),
    total: Type.Integer({ description: 'Total is the total number of items across all pages' }),
    total_pages: Type.Integer({ description: 'TotalPages is the total number of pages' }),
    has_next: Type.Boolean({ description: 'HasNext indicates whether there is a next page' }),
    has_prev: Type.Boolean({ description: 'HasPrev indicates whether there is a previous page' }),
  },
  { title: 'dto.PageInfo' },
);

/** `page` and `page_size` query parameters shared by the AuthMS list endpoints. */
export const PageQuery = {
  page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: '页码,从1开始(默认1)' }),
  page_size: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: `每页条数(默认${DEFAULT_PAGE_SIZE},最大${MAX_PAGE_SIZE})`,
  }),
};

/** `tenant_id` filter, honoured for platform admins and checked against the token otherwise. */
export const TenantQuery = {
  tenant_id: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'platform admins: only this tenant; tenant admins: must be their own',
    }),
  ),
};

/** An AuthMS list envelope around `item`, e.g. `dto.CommunicationLogListResponse`. */
export function listResponse<Item extends TSchema>(item: Item, title: string) {
  return Type.Object(
    {
      code: Type.Integer(),
      message: Type.String(),
      items: Type.Array(item, { description: '统一使用 items' }),
      total: Type.Integer({ description: '总条数(平铺,便于直接读取)' }),
      pagination: PageInfo,
      timestamp: Type.String(),
    },
    { title },
  );
}

/** The error responses every authenticated AuthMS route documents. */
export const authmsErrorResponses = {
  400: SimpleResponse,
  401: SimpleResponse,
  403: SimpleResponse,
  500: SimpleResponse,
  503: SimpleResponse,
};

/** A nullable string, written so that query/body coercion never turns null into "". */
export function NullableString(options: { description?: string; maxLength?: number } = {}) {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}
