import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { AuditStore } from '../../domain/audit-store.js';
import type { LogQueryDescription, LogKindModule } from '../../kinds/log-kind-module.js';
import { pageLogs, resolveLogQuery, walkLogs, type LogQueryParams } from '../../kinds/log-query.js';
import type { LogRow } from '../../kinds/log-table.js';
import {
  csvEncoder,
  itemFields,
  ndjsonEncoder,
  orderedItem,
  type ExportEncoder,
} from '../export-encoding.js';
import { principalOf } from '../plugins/authentication.js';
import { envelope } from '../presenters.js';
import {
  CONSOLE_TAG,
  EXPORT_FORMATS,
  ExportParameters,
  exportResponses,
  LogPageParameters,
  logPageResponses,
  logQuerystring,
} from '../schemas/log-query-schemas.js';

/** What the console's read routes are built with. */
export interface LogQueryRouteOptions {
  store: AuditStore;
  kinds: readonly LogKindModule[];
  /**
   * Rows per keyset page an export reads (default 500): its memory bound and its pace. Two pages
   * are held (the next is read ahead); 500 keeps them young enough for V8's scavenger, where 2,000
   * cost about 15 % more CPU per row, most of it garbage collection.
   */
  exportBatchRows?: number;
  /** The clock, epoch ms (the export's file name). */
  now: () => number;
}

const DEFAULT_EXPORT_BATCH_ROWS = 500;
const security = [{ bearerAuth: [] }];

/** `communication-log` → `CommunicationLog`, for operationIds. */
function pascal(kind: string): string {
  return kind.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}

/**
 * GET /v1/logs/{kind} and GET /v1/export/{kind} for every kind, each with the kind's own filters
 * from its query description (LogKindModule.console).
 */
export const logQueryRoutes: FastifyPluginAsync<LogQueryRouteOptions> = (app, options) => {
  for (const kind of options.kinds) {
    addPageRoute(app, options, kind.console);
    addExportRoute(app, options, kind.console);
  }
  return Promise.resolve();
};

type Plugin = Parameters<FastifyPluginAsync<LogQueryRouteOptions>>[0];

function addPageRoute(app: Plugin, { store }: LogQueryRouteOptions, description: LogQueryDescription): void {
  const { kind } = description.query.table;
  app.get(
    `/v1/logs/${kind}`,
    {
      schema: {
        operationId: `listConsole${pascal(kind)}s`,
        summary: `Admin: ${kind}s, a cursor page`,
        description:
          `Newest first by (${description.query.table.timeColumn}, id); page with \`after\` = the previous page's ` +
          'last_row_key. Items exactly as the kind’s own API shows them, each with tenant_id. Tenant admins read ' +
          'their tenant; platform admins every tenant, or one with tenant_id. Unknown parameters are refused.',
        tags: [CONSOLE_TAG.name],
        security,
        querystring: logQuerystring(description, LogPageParameters),
        response: logPageResponses(description, `${pascal(kind)}ConsolePage`),
      },
    },
    async (request: FastifyRequest) => {
      const params = request.query as LogQueryParams & { limit: number; after?: string };
      const resolved = resolveLogQuery(description.query, principalOf(request), params);
      const page = await pageLogs(store, description.query, resolved, params.after, params.limit);
      return envelope({
        data: {
          items: page.rows.map((row) => description.present(row)),
          has_more: page.hasMore,
          last_row_key: page.hasMore ? (page.lastRowKey ?? '') : '',
        },
      });
    },
  );
}

function addExportRoute(app: Plugin, options: LogQueryRouteOptions, description: LogQueryDescription): void {
  const { kind } = description.query.table;
  const fields = itemFields(description.item);
  app.get(
    `/v1/export/${kind}`,
    {
      schema: {
        operationId: `export${pascal(kind)}s`,
        summary: `Admin: export ${kind}s (NDJSON or CSV), streamed`,
        description:
          'Every record the filters match, newest first, streamed page by page in constant memory, as an ' +
          'attachment. Same filters, scope, masking and erasure as GET /v1/logs. The export is recorded in the ' +
          'access log with the rows it sent. Errors found before the first byte are answered as usual (400, ' +
          '403, 503); one after it cuts the transfer, so an incomplete file never looks complete.',
        tags: [CONSOLE_TAG.name],
        security,
        querystring: logQuerystring(description, ExportParameters),
        response: exportResponses(description),
      },
    },
    async (request: FastifyRequest, reply) => {
      const params = request.query as LogQueryParams & { format: keyof typeof EXPORT_FORMATS };
      const resolved = resolveLogQuery(description.query, principalOf(request), params);
      const stamp = new Date(options.now()).toISOString().replace(/[-:]/g, '').slice(0, 15);
      const scope = resolved.tenantId === undefined ? 'all' : fileNamePart(resolved.tenantId);
      reply
        .type(EXPORT_FORMATS[params.format])
        .header(
          'content-disposition',
          `attachment; filename="sealog-${kind}-${scope}-${stamp}.${params.format}"`,
        )
        .header('cache-control', 'no-store');
      // HEAD reads nothing: Fastify would drain a stream it cannot send, walking every row for no one.
      if (request.method === 'HEAD') return reply.send();
      const batches = walkLogs(
        options.store,
        description.query,
        resolved,
        options.exportBatchRows ?? DEFAULT_EXPORT_BATCH_ROWS,
      );
      // The first page is read before the answer starts, so that a store that does not answer
      // is a 503 rather than a cut download.
      const first = await batches.next();
      const encode = params.format === 'csv' ? csvEncoder(fields) : ndjsonEncoder();
      return reply.send(
        Readable.from(exportText(request, description, fields, encode, first, batches), {
          objectMode: false,
          highWaterMark: 64 * 1024,
        }),
      );
    },
  );
}

/**
 * The export's text, one chunk per page (the CSV header comes with the first, so an empty export
 * is its header alone), counting the rows sent into the access log's record. Pulled by the
 * response stream as the client reads, so a slow client slows the walk instead of filling memory;
 * a client that goes away destroys the stream, which ends this generator and the walk.
 */
async function* exportText<Row extends LogRow>(
  request: FastifyRequest,
  description: LogQueryDescription<Row>,
  fields: readonly string[],
  encode: ExportEncoder,
  first: IteratorResult<Row[], void>,
  rest: AsyncGenerator<Row[], void, undefined>,
): AsyncGenerator<string, void, undefined> {
  const encodeBatch = (rows: Row[]) => {
    request.readRows += rows.length;
    return encode(rows.map((row) => orderedItem(fields, description.present(row))));
  };
  if (first.done === true) {
    const header = encode([]);
    if (header !== '') yield header;
    return;
  }
  yield encodeBatch(first.value);
  try {
    for await (const rows of rest) yield encodeBatch(rows);
  } catch (error) {
    request.readError = `the export ended early: ${error instanceof Error ? error.message : String(error)}`;
    throw error;
  }
}

/** A tenant id as a safe part of a file name: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
function fileNamePart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}
