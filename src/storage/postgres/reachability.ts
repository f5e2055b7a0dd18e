import { Socket } from 'node:net';
import pg from 'pg';

/** How a ReachabilityMonitor watches the database. */
export interface ReachabilitySettings {
  url: string;
  /**
   * Longest the database may go without answering, in ms, before it counts as unreachable: then
   * every query in flight fails and new ones fail at once until it answers again.
   */
  unavailableTimeoutMs: number;
}

/** While unreachable, a probe waits at most this long (ms): recovery is seen about this soon. */
const RECOVERY_PROBE_TIMEOUT_MS = 1_000;
/** While unreachable, the pause between two probes, in ms. */
const RECOVERY_PROBE_PAUSE_MS = 200;

/**
 * Tells whether PostgreSQL answers, by running `SELECT 1` on a connection of its own every
 * `unavailableTimeoutMs / 5` (at most every second). A probe that fails or has no answer within the
 * rest of `unavailableTimeoutMs` marks the database unreachable and cuts every connection the pool
 * opened (they come from `openSocket`), so that queries waiting on a silent network — a partition
 * where the TCP connections stay open and nothing comes back — fail now rather than after minutes of
 * TCP retransmission. Neither TCP keep-alive (its probes start after the idle time and Node cannot
 * shorten their interval) nor a query timeout (a legitimate query may run for the whole statement
 * timeout) can tell a silent database that soon.
 *
 * The price of a false alarm (a database too loaded to answer `SELECT 1` within the timeout) is that
 * the queries in flight fail with 503 and are retried by their clients.
 */
export class ReachabilityMonitor {
  private readonly sockets = new Set<Socket>();
  private readonly intervalMs: number;
  private readonly probeTimeoutMs: number;
  private unreachable = false;
  private probing: Promise<boolean> | undefined;
  private client: { client: pg.Client; socket: Socket } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly settings: ReachabilitySettings) {
    this.intervalMs = Math.max(100, Math.min(1_000, Math.floor(settings.unavailableTimeoutMs / 5)));
    this.probeTimeoutMs = settings.unavailableTimeoutMs - this.intervalMs;
  }

  /** True from a failed probe until one succeeds. */
  get isUnreachable(): boolean {
    return this.unreachable;
  }

  /** pg's `stream` option: a socket the monitor can cut when the database goes silent. */
  readonly openSocket = (): Socket => {
    const socket = new Socket();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  };

  /** Starts probing in the background (the timers do not keep the process alive). */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.schedule(this.intervalMs);
  }

  /**
   * Probes now (or joins the probe in flight) and resolves true when the database answered. While
   * unreachable the probe waits at most RECOVERY_PROBE_TIMEOUT_MS, so a recovery is seen promptly.
   * After stop(), false.
   */
  probe(): Promise<boolean> {
    // A closed store answers nothing.
    if (this.stopped) return Promise.resolve(false);
    this.probing ??= this.runProbe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /**
   * Stops probing and ends the monitor's own connection without waiting for the server to confirm
   * (it may be silent); the socket no longer keeps the process alive.
   */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.client !== undefined) release(this.client);
    this.client = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.probe().then((answered) => {
        this.schedule(answered ? this.intervalMs : RECOVERY_PROBE_PAUSE_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async runProbe(): Promise<boolean> {
    const timeoutMs = this.unreachable
      ? Math.min(this.probeTimeoutMs, RECOVERY_PROBE_TIMEOUT_MS)
      : this.probeTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, false);
    });
    const answered = await Promise.race([this.selectOne(timeoutMs), timedOut]);
    clearTimeout(timer);
    if (this.stopped) return answered;
    if (answered) this.unreachable = false;
    else this.markUnreachable();
    return answered;
  }

  private async selectOne(timeoutMs: number): Promise<boolean> {
    try {
      const connection = this.client ?? (await this.connect(timeoutMs));
      // Stopped while connecting: this connection must not outlive the store (nor keep Node alive).
      if (this.stopped) {
        release(connection);
        return false;
      }
      this.client = connection;
      await connection.client.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private async connect(timeoutMs: number): Promise<{ client: pg.Client; socket: Socket }> {
    let socket: Socket | undefined;
    const client = new pg.Client({
      connectionString: this.settings.url,
      connectionTimeoutMillis: timeoutMs,
      application_name: 'sealog reachability probe',
      stream: () => (socket = new Socket()),
    });
    client.on('error', () => undefined);
    await client.connect();
    if (socket === undefined) throw new Error('pg did not open a socket');
    return { client, socket };
  }

  /** Cuts every connection: the probe's and the pool's, in flight or idle. */
  private markUnreachable(): void {
    this.unreachable = true;
    this.client?.socket.destroy();
    this.client = undefined;
    for (const socket of this.sockets) socket.destroy();
  }
}

/** Ends a probe connection without waiting for the server (it may be silent) or keeping Node alive. */
function release({ client, socket }: { client: pg.Client; socket: Socket }): void {
  socket.unref();
  client.end().catch(() => undefined);
}
