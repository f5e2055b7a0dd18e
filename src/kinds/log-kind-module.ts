import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TObject, TProperties } from 'typebox';
import type { AuditStore, InsertOutcome } from '../domain/audit-store.js';
import type { TuyaContext } from '../http/tuya/tuya-token-routes.js';
import type { LogQuery } from './log-query.js';
import type { LogRow, LogTable } from './log-table.js';

/** What every kind's routes are built with. */
export interface KindDependencies {
  store: AuditStore;
  /** The clock, epoch ms. */
  now: () => number;
}

/** The APIs whose requests a kind's hooks see: the bearer-token API (AuthMS and /v1), Tuya's. */
export type ApiName = 'authms' | 'tuya';

/** The routes a kind adds to each API, built once per application. */
export interface KindRoutes {
  /**
   * Hooks on every request of each authenticated API, installed before any route of it, e.g. to
   * record reads; they run after the credential was verified.
   */
  hooks?: (app: FastifyInstance, api: ApiName) => void;
  /** Behind the bearer token: AuthMS-style reads, ingest. */
  bearer?: FastifyPluginAsyncTypebox;
  /** In the Tuya API's context: signed business calls. */
  tuya?: FastifyPluginAsyncTypebox<{ tuya: TuyaContext }>;
}

/**
 * A kind's query description: the one place every console capability (GET /v1/logs/{kind},
 * GET /v1/export/{kind}, the histogram) reads the kind's filters and items from. `query` is the
 * domain half (filters as neutral conditions); the rest is HTTP.
 */
export interface LogQueryDescription<Row extends LogRow = LogRow> {
  readonly query: LogQuery<Row>;
  /**
   * Query-string properties of the kind's filters, one per `query.filters` name (exact match,
   * minLength 1), all optional; the common tenant_id, from and until are added by the routes.
   */
  readonly filters: TProperties;
  /**
   * One record as the console's reads show it: the kind's existing API item, with `tenant_id`.
   * Items are written in its property order; CSV columns follow it.
   */
  readonly item: TObject;
  /** A stored row (opened: personal fields unsealed, erased ones `[erased]`) as `item`, as the kind's API presents it. */
  present(row: Row): Record<string, unknown>;
}

/** A log kind as the HTTP application sees it: its table, its OpenAPI tag and its routes. */
export interface LogKindModule {
  table: LogTable;
  /** What the console reads of the kind and how: its filters, items and presenter. */
  console: LogQueryDescription;
  /** The OpenAPI tag of its reading routes, with a description for the docs. */
  tag: { name: string; description: string };
  routes(deps: KindDependencies): KindRoutes;
  /**
   * Loads the kind's demo records (`serve --demo`) through its service, as ingest would; stable
   * ids make loading again a no-op. Absent for kinds sealog writes itself (the access log).
   */
  demo?: (deps: KindDependencies) => Promise<InsertOutcome>;
}
