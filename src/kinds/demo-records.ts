import type { Principal } from '../domain/principal.js';
import { ROLE_AUDIT_WRITE } from '../domain/principal.js';

/** Tenants of the demo data; most rows belong to the first. */
export const DEMO_TENANTS: readonly string[] = ['tnt_demo', 'tnt_acme'];

/** Who loads the demo data: a platform writer, so each record names its tenant. */
export const DEMO_LOADER: Principal = {
  subject: 'sealog-demo',
  tenantId: undefined,
  roles: [ROLE_AUDIT_WRITE],
};

/** Logs of each kind in the demo data set. */
export const DEMO_RECORDS_PER_KIND = 3000;

const DAY_MS = 86_400_000;
const HEAVY_USERS = ['usr_alice', 'usr_bob', 'usr_carol', 'usr_张伟'];

/**
 * What a kind's demo generator draws from: a seeded generator (mulberry32, so the demo data is the
 * same on every start) and the shapes every kind shares. `count` records spread over the 30 days
 * before `nowMs`, oldest first, in whole seconds.
 */
export class DemoDraw {
  private state: number;

  constructor(
    seed: number,
    private readonly nowMs: number,
    readonly count: number,
  ) {
    this.state = seed;
  }

  /** A number in [0, 1). */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)] as T;
  }

  digits(count: number): string {
    return Array.from({ length: count }, () => Math.floor(this.random() * 10)).join('');
  }

  hex(count: number): string {
    return Array.from({ length: count }, () => Math.floor(this.random() * 16).toString(16)).join('');
  }

  /** About 85 % of the rows belong to tnt_demo. */
  tenant(): string {
    return this.random() < 0.85 ? 'tnt_demo' : 'tnt_acme';
  }

  /** A few heavy users own half the rows. */
  user(): string {
    return this.random() < 0.5 ? this.pick(HEAVY_USERS) : `usr_${this.digits(4)}`;
  }

  /** The time of record `index`, epoch ms in whole seconds; the newest rows are the last ids. */
  timeOf(index: number): number {
    const span = 30 * DAY_MS;
    return Math.floor((this.nowMs - span + (index / this.count) * span) / 1000) * 1000;
  }

  /** The stable serial of record `index` in its id (`000001` …): loading again stores nothing twice. */
  serial(index: number): string {
    return String(index + 1).padStart(6, '0');
  }
}

/** An epoch-ms time as RFC 3339, as writers send it. */
export const iso = (ms: number) => new Date(ms).toISOString();
