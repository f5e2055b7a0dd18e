import { STORABLE_TEXT_RULE } from '../../domain/storable-text.js';
import { PATTERN_PHRASES } from '../schemas/patterns.js';

/** The parts of an Ajv error (Fastify's `error.validation` items, with `verbose`) used here. */
export interface SchemaViolation {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
  parentSchema?: Record<string, unknown> | undefined;
  data?: unknown;
}

/**
 * Describes the first schema violation of a request in words a client can act on: the parameter
 * or record field, what is allowed, and what was sent. Body paths `/3/channel` become `record 3: channel`.
 * @param context Fastify's validationContext: querystring, params, body or headers
 */
export function describeViolation(context: string, violation: SchemaViolation): string {
  const segments = violation.instancePath.split('/').slice(1);
  const missing = violation.params.missingProperty;
  const extra = violation.params.additionalProperty;
  if (typeof missing === 'string') segments.push(missing);
  const recordIndex = context === 'body' && /^\d+$/.test(segments[0] ?? '') ? segments.shift() : undefined;
  const prefix = recordIndex === undefined ? '' : `record ${recordIndex}: `;
  const field = segments.join('.');
  const subject = field === '' ? describeRoot(context) : field;

  if (typeof missing === 'string') return `${prefix}${subject} is required`;
  if (typeof extra === 'string')
    return `${prefix}unknown field "${extra}"${field === '' ? '' : ` in ${field}`}`;
  if (field === '' && context === 'body' && violation.parentSchema?.type === 'array') {
    if (violation.keyword === 'maxItems')
      return `a batch holds at most ${String(violation.params.limit)} records`;
    if (violation.keyword === 'minItems') return 'the batch is empty: send at least one record';
    return 'the body must be a JSON array of records, or NDJSON with content-type application/x-ndjson';
  }
  return `${prefix}${subject} must be ${describeAllowed(violation)}${describeReceived(violation.data)}`;
}

function describeRoot(context: string): string {
  return context === 'querystring' ? 'the query string' : `the ${context}`;
}

function describeAllowed(violation: SchemaViolation): string {
  if (violation.keyword === 'storableText') return STORABLE_TEXT_RULE;
  const schema = violation.parentSchema ?? {};
  const allowedValues = schema.enum;
  if (Array.isArray(allowedValues)) return `one of ${allowedValues.join(', ')}`;
  if (violation.keyword === 'pattern')
    return PATTERN_PHRASES[String(schema.pattern)] ?? `text matching ${String(schema.pattern)}`;
  if (schema.format === 'date-time') return 'an RFC 3339 time such as 2026-04-15T10:00:00Z';
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  if (type === 'integer' || type === 'number') {
    const noun = type === 'integer' ? 'an integer' : 'a number';
    const { minimum, maximum } = schema;
    if (typeof minimum === 'number' && typeof maximum === 'number')
      return `${noun} from ${minimum} to ${maximum}`;
    if (typeof minimum === 'number') return `${noun} ≥ ${minimum}`;
    if (typeof maximum === 'number') return `${noun} ≤ ${maximum}`;
    return noun;
  }
  if (type === 'string' || type === 'string or null') {
    const { minLength, maxLength } = schema;
    const noun = type === 'string' ? 'a string' : 'a string or null';
    if (violation.keyword === 'maxLength' && typeof maxLength === 'number') {
      return `${noun} of at most ${maxLength} characters`;
    }
    if (violation.keyword === 'minLength' && typeof minLength === 'number') {
      return minLength === 1 ? `a non-empty ${noun.slice(2)}` : `${noun} of at least ${minLength} characters`;
    }
    return noun;
  }
  return violation.message?.replace(/^must be /, '') ?? 'valid';
}

function describeReceived(data: unknown): string {
  if (data === undefined || (typeof data === 'object' && data !== null)) return '';
  const text = JSON.stringify(data);
  return ` (got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}
