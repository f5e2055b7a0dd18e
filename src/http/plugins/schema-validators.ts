import { Ajv, type Options } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { findUnstorableText } from '../../domain/storable-text.js';
import type { SchemaViolation } from '../errors/validation-messages.js';

const COMMON: Options = {
  useDefaults: true,
  allowUnionTypes: true,
  removeAdditional: false,
  // One error is enough to name the parameter; collecting all of them costs time on large batches.
  allErrors: false,
  // Keeps the offending value and its schema on each error, for messages that name what is allowed.
  verbose: true,
  // Infinity and NaN are not numbers a parameter or field may hold (JSON.parse reads 1e309 as Infinity).
  strictNumbers: true,
};

// ajv-formats is CommonJS; under NodeNext its plugin function is the default export's `default`.
const addFormats = addFormatsPlugin as unknown as { default: (ajv: Ajv) => Ajv };

/** A validator as Fastify calls it: true, or false with the reasons in `errors`. */
interface Validator {
  (data: unknown): boolean;
  errors?: (SchemaViolation & { schemaPath: string })[] | null;
}

/**
 * Integers as a client writes them in a URL: decimal digits, an optional minus. Ajv's coercion
 * takes anything `Number()` reads, so `0x10`, `1e3`, ` 5` and `Infinity` (which then passes as an
 * integer) would slip through.
 */
const DECIMAL_INTEGER = /^-?\d{1,16}$/;

type JsonSchema = Record<string, unknown>;

/** The integer-typed properties of an object schema, by name. */
function integerProperties(schema: FastifySchema): Map<string, JsonSchema> {
  const properties = (schema as { properties?: Record<string, JsonSchema> }).properties ?? {};
  return new Map(Object.entries(properties).filter(([, property]) => property.type === 'integer'));
}

/**
 * Checks what Ajv cannot: every text is storable (no NUL, no unpaired surrogate) and every integer
 * parameter is written in decimal. Failures read like Ajv's own, so one describer words them all.
 */
function guarded(validate: Validator, integers: ReadonlyMap<string, JsonSchema>): Validator {
  const guard: Validator = (data) => {
    guard.errors = null;
    if (typeof data === 'object' && data !== null) {
      for (const [name, schema] of integers) {
        const raw: unknown = (data as Record<string, unknown>)[name];
        const texts = Array.isArray(raw) ? (raw as unknown[]) : [raw];
        const bad = texts.find((text) => typeof text === 'string' && !DECIMAL_INTEGER.test(text));
        if (bad !== undefined) {
          guard.errors = [
            {
              keyword: 'type',
              instancePath: `/${name}`,
              schemaPath: '',
              params: {},
              parentSchema: schema,
              data: bad,
            },
          ];
          return false;
        }
      }
    }
    if (!validate(data)) {
      guard.errors = validate.errors ?? null;
      return false;
    }
    const path = findUnstorableText(data);
    if (path === undefined) return true;
    guard.errors = [
      { keyword: 'storableText', instancePath: `/${path.join('/')}`, schemaPath: '', params: {} },
    ];
    return false;
  };
  return guard;
}

/**
 * Query strings, path parameters and headers arrive as text and are coerced to the schema's types
 * (`page=2` → 2). Bodies are JSON and are not: `record_time: null` or `user_id: 42` is a 400,
 * never a silent 0 or "42". Every part is then held to the storable-text rule.
 */
export function installSchemaValidators(app: FastifyInstance): void {
  const coercing = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }));
  const exact = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return guarded(exact.compile(schema) as Validator, new Map());
    return guarded(coercing.compile(schema) as Validator, integerProperties(schema));
  });
}
