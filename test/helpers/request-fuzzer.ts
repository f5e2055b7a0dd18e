import fc from 'fast-check';
import { bodyArbitrary, type FuzzBody } from './body-fuzz.js';
import {
  longString,
  paramValueArbitrary,
  percentEncode,
  pathSegmentArbitrary,
  RAW_FRAGMENTS,
  type WireValue,
} from './fuzz-values.js';
import {
  BEARER_KINDS,
  EXOTIC_METHODS,
  FRAMINGS,
  GARBAGE_PATHS,
  settle,
  STANDARD_METHODS,
  TUYA_KINDS,
  type BearerKind,
  type Credentials,
  type Framing,
  type FuzzRequest,
  type KnownValues,
  type PlannedRequest,
} from './fuzz-request.js';
import { routeLabel, type RouteSpec } from './openapi-routes.js';
import { systematicRequests } from './systematic-requests.js';

// Seeded generation of hostile HTTP requests from the routes of an OpenAPI document. Generation
// is pure: credentials and signatures are named here and filled in when a request is sent.

/** The default credential mix of a route: mostly valid ones that reach the handler, some refused. */
function credentialsArbitrary(route: RouteSpec | undefined): fc.Arbitrary<Credentials> {
  const anyBearer = fc.constantFrom(...BEARER_KINDS).map((kind): Credentials => ({ scheme: 'bearer', kind }));
  if (route?.family === 'tuya') {
    return fc.oneof(
      {
        arbitrary: fc.constantFrom<Credentials>(
          { scheme: 'tuya', kind: 'valid' },
          { scheme: 'tuya', kind: 'valid' },
          { scheme: 'tuya', kind: 'valid-sorted' },
        ),
        weight: 24,
      },
      {
        arbitrary: fc.constantFrom(...TUYA_KINDS).map((kind): Credentials => ({ scheme: 'tuya', kind })),
        weight: 5,
      },
    );
  }
  const good: BearerKind[] =
    route === undefined
      ? ['admin', 'none']
      : route.template.startsWith('/v1/ingest/')
        ? ['writer', 'writer', 'writer', 'platform-writer']
        : route.template === '/communication/logs'
          ? ['user', 'user', 'user', 'admin']
          : ['admin', 'admin', 'admin', 'platform-admin'];
  return fc.oneof(
    {
      arbitrary: fc.constantFrom(...good).map((kind): Credentials => ({ scheme: 'bearer', kind })),
      weight: 8,
    },
    { arbitrary: anyBearer, weight: 2 },
  );
}

function methodArbitrary(method: string): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant(method), weight: 30 },
    { arbitrary: fc.constantFrom(...STANDARD_METHODS), weight: 3 },
    { arbitrary: fc.constantFrom(...EXOTIC_METHODS), weight: 1 },
  );
}

const framingArbitrary = fc.oneof(
  { arbitrary: fc.constant<Framing>('normal'), weight: 60 },
  { arbitrary: fc.constantFrom(...FRAMINGS), weight: 3 },
);

/** Query-string structure a parser may trip on, beyond the documented parameters. */
function extraQueryArbitrary(names: readonly string[]): fc.Arbitrary<string[]> {
  const name = fc.constantFrom(...(names.length > 0 ? names : ['x']));
  return fc.oneof(
    { arbitrary: fc.constant<string[]>([]), weight: 10 },
    fc
      .tuple(name, fc.integer({ min: 1, max: 3 }))
      .map(([n, count]) => Array.from({ length: count }, (_, i) => `${n}=${i + 1}`)),
    fc.constantFrom(
      ...[
        ['__proto__=1'],
        ['constructor=x'],
        ['prototype=1'],
        ['__proto__[page]=1'],
        ['constructor[prototype][x]=1'],
      ],
      ...[
        ['toString=1'],
        ['hasOwnProperty=1'],
        [''],
        ['&&&'],
        ['='],
        ['=1'],
        ['req={"size":5}'],
        ['req=%7B'],
      ],
      ...[['req[size]=5'], ['req[size]=%ff'], ['req=[1]'], ['req={"__proto__":{"size":1}}'], ['req=null']],
      ...[['unknown_param=1'], ['tenant_id=tnt_other'], ['a=1;b=2'], ['x=%'], ['%ff=1'], ['%00=1']],
    ),
    name.map((n) => [n]),
    name.map((n) => [`${n}[]=1`, `${n}[a]=1`]),
    name.chain((n) => fc.constantFrom(...RAW_FRAGMENTS).map((fragment) => [`${n}=${fragment}`])),
  );
}

/** Requests for one documented route: every path and query parameter valid, hostile, absent or repeated. */
function routeArbitrary(route: RouteSpec, known: KnownValues): fc.Arbitrary<PlannedRequest> {
  const label = routeLabel(route);
  // Each parameter gets a value from everything (`any`) and one it accepts (`valid`): a focused
  // request uses `any` for one parameter and `valid` for the others, so it reaches the handler.
  const segments = fc.tuple(
    ...route.pathParams.map((param) => {
      const knownIds = known[param.name] ?? ['x'];
      return fc
        .tuple(pathSegmentArbitrary(knownIds), fc.constantFrom(...knownIds))
        .map(([any, valid]) => ({ name: param.name, any, valid: { wire: valid, valid: true } }));
    }),
  );
  const query = fc.tuple(
    ...route.queryParams.map((param) =>
      fc
        .tuple(
          fc.option(paramValueArbitrary(param.schema, known[param.name] ?? []), { freq: 3 }),
          fc.option(paramValueArbitrary(param.schema, known[param.name] ?? [], true), { freq: 2 }),
        )
        .map(([any, valid]) => ({ name: param.name, any, valid })),
    ),
  );
  const body: fc.Arbitrary<FuzzBody | undefined> =
    route.bodySchema !== undefined
      ? fc.oneof({ arbitrary: bodyArbitrary(route.bodySchema, known), weight: 19 }, fc.constant(undefined))
      : fc.oneof({ arbitrary: fc.constant(undefined), weight: 14 }, bodyArbitrary(undefined, known));
  const pathMutation = fc.oneof(
    { arbitrary: fc.constant((path: string) => path), weight: 30 },
    fc.constantFrom(
      (path: string) => `${path}/`,
      (path: string) => `/${path}`,
      (path: string) => path.toUpperCase(),
      (path: string) => `${path}/extra`,
      (path: string) => path.replace(/\/([^/]*)$/, '/./$1'),
      (path: string) => path.replaceAll('/', '%2F'),
      (path: string) => `${path};jsessionid=1`,
    ),
  );
  return fc
    .record({
      method: methodArbitrary(route.method),
      segments,
      query,
      extra: extraQueryArbitrary(route.queryParams.map((param) => param.name)),
      reversed: fc.boolean(),
      pathMutation,
      focus: fc.option(fc.nat(), { freq: 2 }),
      body,
      credentials: credentialsArbitrary(route),
      framing: framingArbitrary,
      preferHttp: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, fc.constant(true)),
    })
    .map((plan): PlannedRequest => {
      const tags: string[] = [];
      const describe = (where: string, value: WireValue) =>
        `${label} ${where}=${value.valid ? 'valid' : 'invalid'}`;
      const focus =
        plan.focus === null ? undefined : plan.focus % Math.max(1, plan.segments.length + plan.query.length);
      const pick = <Value>(index: number, entry: { any: Value; valid: Value }) =>
        focus === undefined || focus === index ? entry.any : entry.valid;
      let path = route.template;
      for (const [index, entry] of plan.segments.entries()) {
        const value = pick(index, entry);
        path = path.replace(`{${entry.name}}`, value.wire);
        tags.push(describe(`{${entry.name}}`, value));
      }
      const pairs: string[] = [];
      for (const [index, entry] of plan.query.entries()) {
        const value = pick(plan.segments.length + index, entry);
        if (value === null) continue;
        pairs.push(`${entry.name}=${value.wire}`);
        tags.push(describe(`?${entry.name}`, value));
      }
      pairs.push(...plan.extra);
      if (plan.reversed) pairs.reverse();
      const queryString = pairs.length > 0 ? `?${pairs.join('&')}` : '';
      if (plan.body !== undefined) tags.push(`body:${plan.body.tag}`);
      tags.push(`framing:${plan.framing}`, `${plan.credentials.scheme}:${plan.credentials.kind}`);
      return {
        route: label,
        method: plan.method,
        target: plan.pathMutation(path) + queryString,
        headers: plan.body?.contentType === undefined ? [] : [['content-type', plan.body.contentType]],
        body: plan.body?.bytes,
        credentials: plan.credentials,
        framing: plan.framing,
        tags,
        preferHttp: plan.preferHttp,
      };
    });
}

/** Requests to paths no route declares (or declares only by accident), with long paths too. */
function garbageArbitrary(known: KnownValues): fc.Arbitrary<PlannedRequest> {
  const path = fc.oneof(
    { arbitrary: fc.constantFrom(...GARBAGE_PATHS), weight: 6 },
    longString.map((text) => `/${percentEncode(text).slice(0, 12_000)}`),
  );
  return fc
    .record({
      path,
      method: methodArbitrary('GET'),
      body: fc.option(bodyArbitrary(undefined, known), { freq: 5 }),
      credentials: fc.oneof(
        credentialsArbitrary(undefined),
        fc.constant<Credentials>({ scheme: 'tuya', kind: 'valid' }),
      ),
      framing: framingArbitrary,
    })
    .map((plan) => ({
      route: 'garbage path',
      method: plan.method,
      target: plan.path,
      headers: plan.body?.contentType === undefined ? [] : [['content-type', plan.body.contentType]],
      body: plan.body?.bytes,
      credentials: plan.credentials,
      framing: plan.framing,
      tags: ['garbage path'],
      preferHttp: false,
    }));
}

/**
 * `count` requests for `routes`, the same ones for the same seed: first the systematic ones
 * (systematic-requests.ts), then random ones. Routes with parameters or bodies get three times
 * the random share of the others, and a share goes to garbage paths.
 */
export function generateRequests(
  routes: readonly RouteSpec[],
  known: KnownValues,
  seed: number,
  count: number,
): FuzzRequest[] {
  const fixed = systematicRequests(routes, known);
  const weighted = routes.map((route) => ({
    arbitrary: routeArbitrary(route, known),
    weight: route.queryParams.length + route.pathParams.length > 0 || route.bodySchema !== undefined ? 3 : 1,
  }));
  const random = fc.sample(fc.oneof(...weighted, { arbitrary: garbageArbitrary(known), weight: 2 }), {
    seed,
    numRuns: Math.max(0, count - fixed.length),
  });
  return settle([...fixed, ...random]);
}

/** Every coverage tag a run must contain: each parameter of each route both valid and invalid. */
export function requiredTags(routes: readonly RouteSpec[]): string[] {
  return routes.flatMap((route) =>
    [...route.pathParams.map((p) => `{${p.name}}`), ...route.queryParams.map((p) => `?${p.name}`)].flatMap(
      (where) => [`${routeLabel(route)} ${where}=valid`, `${routeLabel(route)} ${where}=invalid`],
    ),
  );
}
