// The routes a server documents, read from its OpenAPI 3 document (GET /openapi.json), so the
// fuzzer follows whatever the server says it serves rather than a hand-kept list.

/** The subset of JSON Schema the fuzzer reads; anything else in the document is ignored. */
export interface JsonSchema {
  type?: string;
  enum?: readonly unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
}

/** One path or query parameter of a route. */
export interface ParamSpec {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

/** Which API family answers a path, and so which response shape its answers must have. */
export type ApiFamily = 'authms' | 'tuya' | 'infra';

/** One documented operation: an HTTP method on a path template such as `/v1/ingest/communication-logs/{id}`. */
export interface RouteSpec {
  method: string;
  template: string;
  pathParams: ParamSpec[];
  queryParams: ParamSpec[];
  /** The application/json request body schema, when the operation takes a body. */
  bodySchema: JsonSchema | undefined;
  /** True when the operation declares bearer-token security. */
  bearer: boolean;
  family: ApiFamily;
  /** Content types other than JSON its successful (2xx) answers are documented with, e.g. text/plain. */
  successTypes: string[];
}

interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, unknown>[];
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation>>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The API family of a raw request path (no query): Tuya under `/v1.0/`, health and docs, or AuthMS. */
export function familyOf(path: string): ApiFamily {
  if (path.startsWith('/v1.0/')) return 'tuya';
  if (/^\/(healthz|readyz|openapi\.json)$/.test(path) || /^\/docs(\/|$)/.test(path)) return 'infra';
  return 'authms';
}

/**
 * Every operation of an OpenAPI 3 document, in document order. Throws when the document has no
 * paths, so a broken /openapi.json fails the fuzz test loudly instead of fuzzing nothing.
 */
export function routesFromOpenApi(document: unknown): RouteSpec[] {
  const paths = (document as OpenApiDocument).paths;
  if (paths === undefined || Object.keys(paths).length === 0)
    throw new Error('the OpenAPI document has no paths');
  const routes: RouteSpec[] = [];
  for (const [template, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!HTTP_METHODS.has(method)) continue;
      const params = (operation.parameters ?? []).map((parameter): ParamSpec => ({
        name: parameter.name,
        in: parameter.in === 'path' ? 'path' : 'query',
        required: parameter.required === true || parameter.in === 'path',
        schema: parameter.schema ?? {},
      }));
      const content = operation.requestBody?.content ?? {};
      routes.push({
        method: method.toUpperCase(),
        template,
        pathParams: params.filter((parameter) => parameter.in === 'path'),
        queryParams: params.filter((parameter) => parameter.in === 'query'),
        bodySchema: content['application/json']?.schema,
        bearer: (operation.security ?? []).some((requirement) => 'bearerAuth' in requirement),
        family: familyOf(template),
        successTypes: Object.entries(operation.responses ?? {})
          .filter(([status]) => status.startsWith('2'))
          .flatMap(([, response]) => Object.keys(response.content ?? {}))
          .filter((type) => type !== 'application/json'),
      });
    }
  }
  return routes;
}

/** `GET /admin/communication/logs`: how a route is named in reports. */
export const routeLabel = (route: Pick<RouteSpec, 'method' | 'template'>): string =>
  `${route.method} ${route.template}`;
