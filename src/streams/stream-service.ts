import type { AuditStore } from '../domain/audit-store.js';
import { ConflictError, InvalidInputError, NotFoundError, PermissionError } from '../domain/errors.js';
import { isAdmin, type Principal } from '../domain/principal.js';
import { parseTimeParameter } from '../domain/time.js';
import { logKey, type LogStatus } from '../integrity/sequencing/integrity-store.js';
import type { DestinationTypes } from './destinations/destination-types.js';
import { assertPublicHost } from './destinations/private-addresses.js';
import {
  carries,
  definitionOf,
  storedDefinition,
  STREAM_NAME_PATTERN,
  type DestinationSettings,
  type StreamDefinition,
  type StreamDefinitionInput,
} from './stream-definition.js';
import type { StreamKinds } from './stream-events.js';
import type { StoredStream, StreamKey, StreamPosition } from './stream-store.js';
import type { FileStream } from './streams-file.js';

/** What GET shows for a secret setting: PUT it back as it is to keep the stored value. */
export const HIDDEN_SECRET = '[hidden]';

/** The reason of a stream paused through the API. */
const PAUSED_BY_ADMIN = 'paused by an admin';

/** A stream as the API shows it. */
export interface StreamView {
  key: StreamKey;
  definition: StreamDefinition;
  state: 'active' | 'retrying' | 'paused';
  stored: StoredStream;
  /** Events not delivered yet, and for how long (seconds) the stream has been behind (0 when none). */
  lag: { events: number; seconds: number };
}

/** A PUT's options beside the definition. */
export interface PutOptions {
  /** Store the stream paused (e.g. to rewind it before it runs). */
  paused?: boolean;
  /** Where a new stream starts: with what is stored from now on (default) or every leaf kept. */
  start?: 'now' | 'beginning';
}

/** Where a rewind goes: a leaf index or a time, for every carried log or those of a kind or tenant. */
export interface RewindTarget {
  leafIndex?: number | undefined;
  /** RFC 3339. */
  from?: string | undefined;
  kind?: string | undefined;
  tenantId?: string | undefined;
}

/**
 * Log streams as their admins manage them: tenant admins their tenant's streams, platform admins
 * any tenant's and (pause, resume, rewind) the platform's from STREAMS_FILE. Secrets are
 * write-only: never shown, kept when a PUT leaves them out.
 */
export class StreamService {
  constructor(
    private readonly store: AuditStore,
    private readonly kinds: StreamKinds,
    private readonly destinations: DestinationTypes,
    private readonly now: () => number,
    /** Hears of every change, so that this process's deliverers follow at once. */
    private readonly onChange: () => void = () => undefined,
    /** Whether tenants' streams may reach private and loopback addresses (STREAM_PRIVATE_DESTINATIONS). */
    private readonly allowPrivateDestinations = false,
  ) {}

  /** The caller's streams: a tenant admin's tenant's, or for a platform admin one tenant's or every stream. */
  async list(principal: Principal, tenantId: string | undefined): Promise<StreamView[]> {
    const owner = listOwner(principal, tenantId);
    const [streams, states] = await Promise.all([
      this.store.streams.list(owner),
      this.store.integrity.logStates(),
    ]);
    return Promise.all(streams.map((stream) => this.view(stream, states)));
  }

  async get(principal: Principal, name: string, tenantId: string | undefined): Promise<StreamView> {
    const stream = await this.find(ownerOf(principal, tenantId), name);
    return this.view(stream, await this.store.integrity.logStates());
  }

  /** Creates or replaces a tenant's stream; platform streams are the file's. */
  async put(
    principal: Principal,
    name: string,
    tenantId: string | undefined,
    input: StreamDefinitionInput,
    options: PutOptions = {},
  ): Promise<{ created: boolean; view: StreamView }> {
    const owner = ownerOf(principal, tenantId);
    if (owner === '') {
      throw new InvalidInputError(
        'platform streams are defined in STREAMS_FILE: name a tenant_id, or change the file',
      );
    }
    const created = await this.write({ owner, name }, input, options);
    return { created, view: await this.get(principal, name, owner) };
  }

  /**
   * Stores `input` as stream `key` (the file's platform streams come this way too): secrets taken
   * from the input, or kept from the stored stream when left out or HIDDEN_SECRET.
   */
  async write(key: StreamKey, input: StreamDefinitionInput, options: PutOptions = {}): Promise<boolean> {
    const stored = await this.store.streams.get(key);
    const { definition, secrets } = this.prepare(key, input, stored);
    if (key.owner !== '' && !this.allowPrivateDestinations) {
      const type = this.destinations.typeOf(definition.destination);
      for (const host of type.hosts({ ...definition.destination, ...secrets })) await assertPublicHost(host);
    }
    const start =
      stored === undefined && options.start !== 'beginning' ? await this.ends(key, definition) : [];
    const created = await this.store.streams.put(
      {
        ...key,
        definition: JSON.stringify(definition),
        secrets: JSON.stringify(secrets),
        paused: options.paused === true,
        pausedReason: PAUSED_BY_ADMIN,
        start,
      },
      this.now(),
    );
    this.onChange();
    return created;
  }

  /**
   * Makes the platform's streams those of STREAMS_FILE: new ones created, changed ones replaced,
   * unchanged ones left alone (their version, hence their deliverer, stays), others deleted.
   * Returns the names of each.
   */
  async applyFile(
    streams: readonly FileStream[],
  ): Promise<{ created: string[]; changed: string[]; removed: string[] }> {
    const outcome = { created: [] as string[], changed: [] as string[], removed: [] as string[] };
    for (const { name, input, start } of streams) {
      const key = { owner: '', name };
      const stored = await this.store.streams.get(key);
      if (stored !== undefined) {
        const { definition, secrets } = this.prepare(key, input, stored);
        if (JSON.stringify(definition) === stored.definition && JSON.stringify(secrets) === stored.secrets)
          continue;
      }
      await this.write(key, input, { start });
      (stored === undefined ? outcome.created : outcome.changed).push(name);
    }
    const names = new Set(streams.map((stream) => stream.name));
    for (const stream of await this.store.streams.list('')) {
      if (names.has(stream.name)) continue;
      await this.store.streams.delete(stream);
      outcome.removed.push(stream.name);
    }
    if (outcome.removed.length > 0) this.onChange();
    return outcome;
  }

  /** The definition to store (destination without secrets) and the secrets, checked. */
  private prepare(
    key: StreamKey,
    input: StreamDefinitionInput,
    stored: StoredStream | undefined,
  ): { definition: StreamDefinition; secrets: Record<string, unknown> } {
    if (!STREAM_NAME_PATTERN.test(key.name)) {
      throw new InvalidInputError(
        `${key.name} is not a stream name: 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`,
      );
    }
    const checked = definitionOf(
      input,
      (kind) => this.kinds.get(kind)?.query.filters ?? [],
      (kind) => this.kinds.get(kind)?.fields ?? [],
    );
    const type = this.destinations.typeOf(input.destination);
    const kept = stored === undefined ? {} : (JSON.parse(stored.secrets) as Record<string, unknown>);
    const keptType = stored === undefined ? undefined : storedDefinition(stored).destination.type;
    const settings: DestinationSettings = { type: type.type };
    for (const [field, value] of Object.entries(input.destination)) {
      if (!type.secretFields.includes(field)) settings[field] = value;
    }
    const secrets: Record<string, unknown> = {};
    for (const field of type.secretFields) {
      const given = input.destination[field];
      if (
        given === undefined ||
        given === HIDDEN_SECRET ||
        (Array.isArray(given) && given.includes(HIDDEN_SECRET))
      ) {
        if (keptType === type.type && kept[field] !== undefined) secrets[field] = kept[field];
      } else {
        secrets[field] = given;
      }
    }
    this.destinations.check({ ...settings, ...secrets });
    return { definition: { ...checked, destination: settings }, secrets };
  }

  async delete(principal: Principal, name: string, tenantId: string | undefined): Promise<void> {
    const owner = ownerOf(principal, tenantId);
    if (owner === '')
      throw new InvalidInputError('platform streams are defined in STREAMS_FILE: remove it there');
    if (!(await this.store.streams.delete({ owner, name }))) throw notFound(owner, name);
    this.onChange();
  }

  /** Pauses (true) or resumes the stream; resuming forgets its failures and retries at once. */
  async setPaused(
    principal: Principal,
    name: string,
    tenantId: string | undefined,
    paused: boolean,
  ): Promise<StreamView> {
    const owner = ownerOf(principal, tenantId);
    if (!(await this.store.streams.setPaused({ owner, name }, paused ? PAUSED_BY_ADMIN : null, this.now()))) {
      throw notFound(owner, name);
    }
    this.onChange();
    return this.get(principal, name, owner === '' ? undefined : owner);
  }

  /** Moves a paused or new stream back (or forward) to a leaf index or a time. */
  async rewind(
    principal: Principal,
    name: string,
    tenantId: string | undefined,
    target: RewindTarget,
  ): Promise<StreamView> {
    const owner = ownerOf(principal, tenantId);
    const stream = await this.find(owner, name);
    const definition = storedDefinition(stream);
    if ((target.leafIndex === undefined) === (target.from === undefined)) {
      throw new InvalidInputError('give either leaf_index or from (an RFC 3339 time), not both');
    }
    if (target.kind !== undefined && !definition.kinds.includes(target.kind)) {
      throw new InvalidInputError(
        `kind ${target.kind} is not carried by the stream (${definition.kinds.join(', ')})`,
      );
    }
    const fromMs = parseTimeParameter('from', target.from);
    const states = (await this.store.integrity.logStates()).filter(
      (log) =>
        carries({ owner, name }, definition, log) &&
        (target.kind === undefined || log.kind === target.kind) &&
        (target.tenantId === undefined || log.tenantId === target.tenantId),
    );
    const positions = new Map((await this.store.streams.positions(stream)).map((p) => [logKey(p), p]));
    for (const log of states) {
      const nextLeaf =
        fromMs === undefined
          ? Math.min(target.leafIndex ?? 0, log.assigned)
          : ((await this.store.streams.firstLeafSince(log, fromMs)) ?? log.assigned);
      positions.set(logKey(log), { tenantId: log.tenantId, kind: log.kind, nextLeaf });
    }
    if (!(await this.store.streams.rewind(stream, [...positions.values()], this.now()))) {
      throw new ConflictError(
        `stream ${name} is running and has delivered events: pause it first (POST …/pause), then rewind and resume`,
      );
    }
    this.onChange();
    return this.view(stream, await this.store.integrity.logStates());
  }

  /** Every stream with its figures, for metrics. */
  async views(): Promise<StreamView[]> {
    const [streams, states] = await Promise.all([
      this.store.streams.list(undefined),
      this.store.integrity.logStates(),
    ]);
    return Promise.all(streams.map((stream) => this.view(stream, states)));
  }

  private async find(owner: string, name: string): Promise<StoredStream> {
    const stream = await this.store.streams.get({ owner, name });
    if (stream === undefined) throw notFound(owner, name);
    return stream;
  }

  /** A new stream's positions: the end of every log it carries. */
  private async ends(key: StreamKey, definition: StreamDefinition): Promise<StreamPosition[]> {
    return (await this.store.integrity.logStates())
      .filter((log) => carries(key, definition, log))
      .map((log) => ({ tenantId: log.tenantId, kind: log.kind, nextLeaf: log.assigned }));
  }

  private async view(stream: StoredStream, states: readonly LogStatus[]): Promise<StreamView> {
    const definition = storedDefinition(stream);
    const positions = new Map(
      (await this.store.streams.positions(stream)).map((p) => [logKey(p), p.nextLeaf]),
    );
    const lagging = states
      .filter((log) => carries(stream, definition, log))
      .map((log) => ({ log, from: positions.get(logKey(log)) ?? 0 }))
      .filter(({ log, from }) => log.assigned > from);
    const events = lagging.reduce((sum, { log, from }) => sum + log.assigned - from, 0);
    // Behind since the last batch that delivered everything stored when it was read.
    const since = stream.caughtUpAt ?? stream.createdAt;
    const seconds = events === 0 ? 0 : Math.max(0, Math.round((this.now() - since) / 1000));
    const secretFields = this.destinations.typeOf(definition.destination).secretFields;
    const secrets = JSON.parse(stream.secrets) as Record<string, unknown>;
    for (const field of secretFields) {
      const value = secrets[field];
      if (value !== undefined)
        definition.destination[field] = Array.isArray(value) ? value.map(() => HIDDEN_SECRET) : HIDDEN_SECRET;
    }
    const state =
      stream.pausedReason !== null ? 'paused' : stream.failingSince !== null ? 'retrying' : 'active';
    return {
      key: { owner: stream.owner, name: stream.name },
      definition,
      state,
      stored: stream,
      lag: { events, seconds },
    };
  }
}

/** The owner a request addresses: the token's tenant, or for a platform admin the named tenant or the platform (''). */
function ownerOf(principal: Principal, tenantId: string | undefined): string {
  if (!isAdmin(principal)) throw new PermissionError('streams are managed by admins');
  if (principal.tenantId === undefined) return tenantId ?? '';
  if (tenantId !== undefined && tenantId !== principal.tenantId) {
    throw new PermissionError(`tenant_id ${tenantId} is outside the token's tenant`);
  }
  return principal.tenantId;
}

/** The owner a list reads: as ownerOf, but a platform admin naming no tenant lists every stream. */
function listOwner(principal: Principal, tenantId: string | undefined): string | undefined {
  if (principal.tenantId === undefined && tenantId === undefined && isAdmin(principal)) return undefined;
  return ownerOf(principal, tenantId);
}

function notFound(owner: string, name: string): NotFoundError {
  return new NotFoundError(
    owner === '' ? `no platform stream ${name} (STREAMS_FILE)` : `tenant ${owner} has no stream ${name}`,
  );
}
