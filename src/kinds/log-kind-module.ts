import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AuditStore, InsertOutcome } from '../domain/audit-store.js';
import type { TuyaContext } from '../http/tuya/tuya-token-routes.js';
import type { LogTable } from './log-table.js';

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

/** A log kind as the HTTP application sees it: its table, its OpenAPI tag and its routes. */
export interface LogKindModule {
  table: LogTable;
  /** The OpenAPI tag of its reading routes, with a description for the docs. */
  tag: { name: string; description: string };
  routes(deps: KindDependencies): KindRoutes;
  /**
   * Loads the kind's demo records (`serve --demo`) through its service, as ingest would; stable
   * ids make loading again a no-op. Absent for kinds sealog writes itself (the access log).
   */
  demo?: (deps: KindDependencies) => Promise<InsertOutcome>;
}
