import { Type, type TObject, type TObjectOptions, type TProperties } from 'typebox';

/**
 * A query-string schema: `Type.Object(properties)`, where a property with a `default` is not
 * required. Ajv fills the default in (useDefaults) before the handler runs, so the handler's type
 * keeps the property required while the OpenAPI document tells clients they may leave it out.
 */
export function QueryObject<Properties extends TProperties>(
  properties: Properties,
  options?: TObjectOptions,
): TObject<Properties> {
  const schema = Type.Object(properties, options);
  // TypeBox types `required` as the tuple of the non-optional names, which this keyword no longer is.
  const keywords = schema as unknown as { required?: string[] };
  const required = (keywords.required ?? []).filter(
    (name) => (properties[name] as { default?: unknown }).default === undefined,
  );
  // JSON Schema (and so OpenAPI 3.0) wants `required` to list at least one name when present.
  if (required.length > 0) keywords.required = required;
  else delete keywords.required;
  return schema;
}
