import { Type, type TObject, type TProperties } from 'typebox';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../domain/paging.js';
import type { LogQueryDescription } from '../../kinds/log-kind-module.js';
import { authmsErrorResponses, enveloped, TenantQuery } from './authms-envelope.js';
import { QueryObject } from './query-object.js';

/** The OpenAPI tag of the console's reads. */
export const CONSOLE_TAG = {
  name: 'console',
  description:
    'The console’s reads of every kind: cursor pages, streamed exports (NDJSON, CSV), with the same filters, ' +
    'masking and erasure as each kind’s own API; admins only, every read recorded in the access log',
};

const INSTANT = { format: 'date-time' } as const;

/** The parameters every console read of a kind takes: the tenant and the time range. */
export const LogQueryCommon = {
  ...TenantQuery,
  from: Type.Optional(
    Type.String({ ...INSTANT, description: 'RFC 3339, inclusive, on the kind’s time column' }),
  ),
  until: Type.Optional(
    Type.String({ ...INSTANT, description: 'RFC 3339, exclusive, on the kind’s time column' }),
  ),
};

/**
 * The query string of a console read of `description`'s kind: the common parameters, the kind's
 * filters and the route's own `extra` ones. Any other parameter is refused (400).
 */
export function logQuerystring(description: LogQueryDescription, extra: TProperties): TObject {
  return QueryObject(
    { ...LogQueryCommon, ...description.filters, ...extra },
    { additionalProperties: false },
  );
}

/** Cursor parameters of GET /v1/logs/{kind}. */
export const LogPageParameters = {
  limit: Type.Integer({
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: `rows per page (1 to ${MAX_PAGE_SIZE})`,
  }),
  after: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'the previous page’s last_row_key' }),
  ),
};

/** The responses of GET /v1/logs/{kind}: a page of the kind's items. */
export function logPageResponses(description: LogQueryDescription, title: string) {
  return {
    200: enveloped(
      {
        data: Type.Object({
          items: Type.Array(description.item),
          has_more: Type.Boolean(),
          last_row_key: Type.String({
            description: "send it back as `after` for the next page; '' when has_more is false",
          }),
        }),
      },
      title,
    ),
    ...authmsErrorResponses,
  };
}

/** The export formats and their content types. */
export const EXPORT_FORMATS = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
} as const;

/** The export's own parameter. */
export const ExportParameters = {
  format: Type.Enum(Object.keys(EXPORT_FORMATS) as (keyof typeof EXPORT_FORMATS)[], {
    default: 'ndjson',
    description: 'ndjson: one item per line; csv: RFC 4180 with a header row',
  }),
};

/** The responses of GET /v1/export/{kind}: a streamed file. */
export function exportResponses(description: LogQueryDescription) {
  return {
    200: {
      description:
        'every matching record, newest first, streamed; an error after the first bytes ends the download early ' +
        '(the transfer is cut, never completed), so a complete file is one that ended normally',
      content: {
        'application/x-ndjson': {
          schema: Type.String({ description: 'one item per line, as GET /v1/logs gives' }),
        },
        'text/csv': {
          schema: Type.String({
            description: `RFC 4180, CRLF, header row: ${Object.keys(description.item.properties).join(', ')}`,
          }),
        },
      },
    },
    ...authmsErrorResponses,
  };
}
