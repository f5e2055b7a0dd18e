import { Ajv, type ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import { InvalidInputError } from '../../domain/errors.js';
import type { Destination } from './destination.js';

/** A destination's settings: its `type` and that type's fields, secrets included. */
export type DestinationSettings = { type: string } & Record<string, unknown>;

/** One kind of destination: how its settings look, which of them are secret, how to build it. */
export interface DestinationType {
  readonly type: string;
  /** The JSON schema of its settings (with `type`). */
  readonly schema: TSchema;
  /** Top-level settings that are secrets: stored sealed, never shown, kept when a PUT leaves them out. */
  readonly secretFields: readonly string[];
  /** The hosts a destination of `settings` connects to (names or IP literals), to check where a tenant's stream may go. */
  hosts(settings: DestinationSettings): string[];
  /** Checks what the schema cannot say (a URL, a secret's encoding); throws InvalidInputError naming the field. */
  validate(settings: DestinationSettings): void;
  /** The destination of `settings`, which passed the schema and validate(). */
  create(settings: DestinationSettings): Destination;
}

const ajv = new Ajv({ allErrors: false, strictNumbers: true, allowUnionTypes: true });

/** The destination types a stream may name, checking settings against each one's schema. */
export class DestinationTypes {
  private readonly types: ReadonlyMap<string, DestinationType>;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(types: readonly DestinationType[]) {
    this.types = new Map(types.map((type) => [type.type, type]));
  }

  /** Every type's name. */
  get names(): string[] {
    return [...this.types.keys()];
  }

  /** The type `settings` names; InvalidInputError when it names none. */
  typeOf(settings: { type?: unknown }): DestinationType {
    const type = typeof settings.type === 'string' ? this.types.get(settings.type) : undefined;
    if (type === undefined) {
      throw new InvalidInputError(
        `destination.type must be one of ${this.names.join(', ')} (got ${JSON.stringify(settings.type)})`,
      );
    }
    return type;
  }

  /** Checks `settings` against its type's schema; InvalidInputError naming the first problem. */
  check(settings: DestinationSettings): DestinationType {
    const type = this.typeOf(settings);
    let validate = this.validators.get(type.type);
    if (validate === undefined) {
      validate = ajv.compile(type.schema);
      this.validators.set(type.type, validate);
    }
    if (!validate(settings)) {
      const [error] = validate.errors ?? [];
      const missing = error?.params.missingProperty as string | undefined;
      const extra = error?.params.additionalProperty as string | undefined;
      const path = ['destination', ...(error?.instancePath.split('/').slice(1) ?? [])].join('.');
      throw new InvalidInputError(
        missing !== undefined
          ? `${path}.${missing} is required for a ${type.type} destination`
          : extra !== undefined
            ? `${path}: unknown field "${extra}" for a ${type.type} destination`
            : `${path} ${error?.message ?? 'is not valid'}`,
      );
    }
    type.validate(settings);
    return type;
  }

  /** Builds the destination of `settings` (checked first). */
  create(settings: DestinationSettings): Destination {
    return this.check(settings).create(settings);
  }
}
