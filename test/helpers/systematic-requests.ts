import { asBytes, jsonText, type FuzzBody } from './body-fuzz.js';
import { bodyVariants, minimalDocument } from './body-variants.js';
import {
  BEARER_KINDS,
  EXOTIC_METHODS,
  FRAMINGS,
  STANDARD_METHODS,
  TUYA_KINDS,
  type Credentials,
  type Framing,
  type KnownValues,
  type PlannedRequest,
} from './fuzz-request.js';
import { BAD_DATES, percentEncode } from './fuzz-values.js';
import { routeLabel, type ParamSpec, type RouteSpec } from './openapi-routes.js';

// The requests every run sends whatever the seed, so that the values everyone knows break
// servers (Infinity, NUL, lone surrogates, %ff, 2,000-character segments, …) are always tried on
// every parameter of every route, each with otherwise valid credentials and parameters.

/** Numbers written every way a lax parser accepts. */
const CORE_NUMBERS = [
  ...['Infinity', '-Infinity', '+Infinity', '1e309', '-1e309', 'NaN', '1.5', '0x10', '1e3', '-0', '+0'],
  ...['9007199254740993', '99999999999999999999', ' 1', '1 ', ' ', '', '\u0000', '1\u0000', '00001', '+1'],
  ...['-1', '0', '1e-7', '１', '1,2', 'true'],
];
/** Strings that break stores, encoders and LIKE patterns. */
const CORE_STRINGS = [
  ...['', ' ', ' x ', 'a\u0000b', '\u0000', '\uD800', 'a\uDFFFb', '登录', '😀', '\u0001\u001f\u007f', '\r\n'],
  ...[
    'a'.repeat(4096),
    '登'.repeat(1000),
    '__proto__',
    'constructor',
    '%',
    '_',
    "'",
    '"',
    '\\',
    'SMS',
    ' sms',
  ],
];
/** Wire forms no encoder writes: malformed escapes, CESU-8/WTF-8 surrogates, overlong UTF-8, separators. */
const CORE_WIRE = [
  '%ed%a0%80',
  '%ED%A0%BD%ED%B8%80',
  '%ff',
  '%',
  '%zz',
  '%00',
  '%c0%af',
  '+',
  '%2B',
  '%26',
  '%3D',
];
/** Path segments: long ones around the limits, malformed escapes, encoded separators and dots. */
const CORE_SEGMENTS = [
  ...[100, 101, 128, 129, 256, 257, 1000, 2000].map((length) => 'a'.repeat(length)),
  ...[
    '%ff',
    '%',
    '%zz',
    '%00',
    'a%00b',
    '%ed%a0%80',
    '%ED%A0%BD%ED%B8%80',
    '%E7%99%BB%E5%BD%95',
    '%F0%9F%98%80',
  ],
  ...['%2F', '..', '.', '%2e%2e', 'a b', '%20', ';', '%25', '%C0%AF', percentEncode('登'.repeat(300))],
];
/** Bodies a GET may carry: none, the official SDK's `{}`, and ones larger than a signed GET may be. */
const GET_BODIES = ['{}', '', 'x'.repeat(70_000), 'x'.repeat(200_000)];

/** The credentials that let a request through to the route's handler. */
export function primaryCredentials(route: RouteSpec): Credentials {
  if (route.family === 'tuya') return { scheme: 'tuya', kind: 'valid' };
  if (route.template.startsWith('/v1/ingest/')) return { scheme: 'bearer', kind: 'writer' };
  return { scheme: 'bearer', kind: route.template === '/communication/logs' ? 'user' : 'admin' };
}

interface Variation {
  tag: string;
  segments?: Record<string, string>;
  query?: string[];
  method?: string;
  credentials?: Credentials;
  /** null: no body at all; undefined: the route's minimal valid body, if it takes one. */
  body?: FuzzBody | null;
  framing?: Framing;
}

function planned(route: RouteSpec, known: KnownValues, variation: Variation): PlannedRequest {
  let path = route.template;
  for (const param of route.pathParams) {
    path = path.replace(`{${param.name}}`, variation.segments?.[param.name] ?? known[param.name]?.[0] ?? 'x');
  }
  const query = variation.query ?? [];
  const minimal =
    route.bodySchema === undefined
      ? undefined
      : {
          bytes: asBytes(jsonText(minimalDocument(route.bodySchema, known))),
          contentType: 'application/json',
          tag: 'schema',
        };
  const body = variation.body === null ? undefined : (variation.body ?? minimal);
  return {
    route: routeLabel(route),
    method: variation.method ?? route.method,
    target: path + (query.length > 0 ? `?${query.join('&')}` : ''),
    headers: body?.contentType === undefined ? [] : [['content-type', body.contentType]],
    body: body?.bytes,
    credentials: variation.credentials ?? primaryCredentials(route),
    framing: variation.framing ?? 'normal',
    tags: [`systematic ${variation.tag}`],
    preferHttp: false,
  };
}

/** The hostile wire values for one query parameter, by its schema. */
function queryValues(param: ParamSpec): string[] {
  const texts =
    param.schema.type === 'integer' ? [...CORE_NUMBERS, ...CORE_STRINGS.slice(0, 6)] : [...CORE_STRINGS];
  if (param.schema.pattern?.includes('\\d{4}') === true) texts.push(...BAD_DATES);
  return [...texts.map((text) => percentEncode(text)), ...CORE_WIRE];
}

/** The systematic requests of one route (see the file comment). */
function routeVariations(route: RouteSpec, known: KnownValues): Variation[] {
  const validValue = (param: ParamSpec) =>
    known[param.name]?.[0] ?? (param.schema.type === 'integer' ? String(param.schema.minimum ?? 1) : 'x');
  // The baseline is a valid request: its required parameters with known values (a route whose
  // every parameter is required, such as a consistency proof's from and to, otherwise passes
  // only when a random request happens to get all of them right).
  const required = route.queryParams
    .filter((param) => param.required)
    .map((param) => `${param.name}=${percentEncode(validValue(param))}`);
  const variations: Variation[] = [{ tag: 'baseline', query: required }];
  for (const param of route.queryParams) {
    const label = `${routeLabel(route)} ?${param.name}=invalid`;
    for (const wire of queryValues(param)) variations.push({ tag: label, query: [`${param.name}=${wire}`] });
    const valid = validValue(param);
    variations.push(
      {
        tag: label,
        query: [`${param.name}=${percentEncode(valid)}`, `${param.name}=${percentEncode(valid)}2`],
      },
      { tag: label, query: [param.name] },
      { tag: label, query: [`${param.name}[]=1`, `${param.name}[]=2`] },
    );
  }
  for (const param of route.pathParams) {
    for (const segment of CORE_SEGMENTS)
      variations.push({
        tag: `${routeLabel(route)} {${param.name}}=invalid`,
        segments: { [param.name]: segment },
      });
  }
  for (const query of [
    '__proto__=1',
    'constructor=x',
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    'toString=1',
  ])
    variations.push({ tag: 'prototype keys in query', query: [query] });
  for (const method of [...STANDARD_METHODS, ...EXOTIC_METHODS].filter((name) => name !== route.method))
    variations.push({ tag: 'method', method });
  // A method the route does not take, with a body its content-type parser refuses (empty, broken JSON).
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'].filter((name) => name !== route.method)) {
    for (const text of ['', '{'])
      variations.push({
        tag: 'method',
        method,
        body: { bytes: asBytes(text), contentType: 'application/json', tag: 'method-body' },
      });
  }
  const credentials: Credentials[] =
    route.family === 'tuya'
      ? TUYA_KINDS.map((kind) => ({ scheme: 'tuya', kind }))
      : BEARER_KINDS.map((kind) => ({ scheme: 'bearer', kind }));
  for (const credential of credentials) variations.push({ tag: 'credentials', credentials: credential });
  for (const framing of FRAMINGS.filter((name) => name !== 'normal'))
    variations.push({ tag: 'framing', framing });
  if (route.bodySchema !== undefined) {
    variations.push({ tag: 'body absent', body: null });
    for (const body of bodyVariants(route.bodySchema, known))
      variations.push({ tag: `body ${body.tag}`, body });
  } else {
    for (const text of GET_BODIES)
      variations.push({
        tag: 'GET body',
        body: { bytes: asBytes(text), contentType: 'application/json', tag: 'get-body' },
      });
  }
  return variations;
}

/** The systematic requests of every route, in document order; the same for every seed. */
export function systematicRequests(routes: readonly RouteSpec[], known: KnownValues): PlannedRequest[] {
  return routes.flatMap((route) =>
    routeVariations(route, known).map((variation) => planned(route, known, variation)),
  );
}
