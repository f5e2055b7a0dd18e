import { Ajv, type Options } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const COMMON: Options = {
  useDefaults: true,
  allowUnionTypes: true,
  removeAdditional: false,
  // One error is enough to name the parameter; collecting all of them costs time on large batches.
  allErrors: false,
  // Keeps the offending value and its schema on each error, for messages that name what is allowed.
  verbose: true,
};

// ajv-formats is CommonJS; under NodeNext its plugin function is the default export's `default`.
const addFormats = addFormatsPlugin as unknown as { default: (ajv: Ajv) => Ajv };

/**
 * Query strings, path parameters and headers arrive as text and are coerced to the schema's types
 * (`page=2` → 2). Bodies are JSON and are not: `record_time: null` or `user_id: 42` is a 400,
 * never a silent 0 or "42".
 */
export function installSchemaValidators(app: FastifyInstance): void {
  const coercing = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }));
  const exact = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? exact : coercing).compile(schema),
  );
}
