import { X509Certificate } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { Type } from 'typebox';
import { InvalidInputError } from '../../domain/errors.js';
import { DeliveryError, type Delivered, type DeliveryBatch, type Destination } from './destination.js';
import { SyslogConnection, type SyslogEndpoint } from './syslog-connection.js';
import {
  EXAMPLE_ENTERPRISE_NUMBER,
  formatSyslogMessage,
  frameOctetCounted,
  HEADER_LIMITS,
  SYSLOG_FACILITIES,
  syslogHeader,
  type SyslogFacilityName,
  type SyslogHeader,
} from './syslog-message.js';

/** timeout_ms when the configuration has none. */
export const DEFAULT_SYSLOG_TIMEOUT_MS = 10_000;

/** A syslog receiver: RFC 5424 messages, octet-counted, over TCP (RFC 6587) or TLS (RFC 5425). */
export interface SyslogDestinationConfig {
  type: 'syslog';
  /** The receiver's DNS name or IP address. */
  host: string;
  /** Its TCP port, 1–65535 (6514 is TLS syslog's, RFC 5425). */
  port: number;
  transport: 'tcp' | 'tls';
  /**
   * TLS only: PEM certificate(s) of the CA(s) to trust instead of the system's, for a receiver whose
   * certificate a private CA issued. The certificate is always verified.
   */
  ca?: string;
  /** TLS only: the name the receiver's certificate must hold, sent as SNI; default host. */
  server_name?: string;
  /** The messages' facility; default local0. Their severity is always info. */
  facility?: SyslogFacilityName;
  /** HOSTNAME of the messages, 1–255 printable US-ASCII; default this machine's host name. */
  hostname?: string;
  /** APP-NAME of the messages, 1–48 printable US-ASCII; default `sealog`. */
  app_name?: string;
  /**
   * The IANA Private Enterprise Number of the SD-IDs (`sealog@N`, `record@N`); default 32473, the
   * number RFC 5612 reserves for documentation: an organisation with its own PEN should use it.
   */
  enterprise_number?: number;
  /** The longest a connection or a batch's write may take, in ms; default 10,000. */
  timeout_ms?: number;
}

const PRINTUSASCII_PATTERN = '^[!-~]+$';

/** The configuration as the streams API accepts it (see SyslogDestinationConfig). */
export const SyslogDestinationSchema = Type.Object(
  {
    type: Type.Literal('syslog'),
    host: Type.String({ minLength: 1, maxLength: 253, examples: ['siem.example.com'] }),
    port: Type.Integer({ minimum: 1, maximum: 65535, examples: [6514] }),
    transport: Type.Union([Type.Literal('tcp'), Type.Literal('tls')], {
      description: 'tcp: RFC 6587 octet counting; tls: RFC 5425, the certificate always verified',
    }),
    ca: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'tls only: PEM CA certificate(s) trusted instead of the system’s',
      }),
    ),
    server_name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description: 'tls only: the name to verify; default host',
      }),
    ),
    facility: Type.Optional(
      Type.Enum(Object.keys(SYSLOG_FACILITIES) as SyslogFacilityName[], {
        default: 'local0',
        description: 'default local0; severity is always info',
      }),
    ),
    hostname: Type.Optional(
      Type.String({
        pattern: PRINTUSASCII_PATTERN,
        maxLength: HEADER_LIMITS.hostname,
        description: 'default: this host’s name',
      }),
    ),
    app_name: Type.Optional(
      Type.String({ pattern: PRINTUSASCII_PATTERN, maxLength: HEADER_LIMITS.app_name, default: 'sealog' }),
    ),
    enterprise_number: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: EXAMPLE_ENTERPRISE_NUMBER,
        description: 'PEN of the SD-IDs sealog@N, record@N',
      }),
    ),
    timeout_ms: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 600_000, default: DEFAULT_SYSLOG_TIMEOUT_MS }),
    ),
  },
  { additionalProperties: false, title: 'SyslogDestination' },
);

/**
 * Delivers events to a syslog receiver over one kept connection, opened on the first batch and
 * again after it failed or the receiver closed it.
 *
 * Syslog over TCP and TLS has no application acknowledgement: `deliver` resolving means every
 * frame of the batch was flushed to the kernel and the connection had not failed or been closed
 * by the peer by then. Before each batch the destination lets pending socket events run, so a
 * receiver that closed the connection since the last batch (a restart) is seen and a new
 * connection is opened instead of writing into the closed one. A receiver that goes away while
 * the bytes are in flight can still lose them: at-least-once holds up to that window, which is
 * syslog's own (neither RFC 6587 nor RFC 5425 has an acknowledgement).
 *
 * A message carries its record twice (structured data and JSON body). Receivers limit sizes:
 * rsyslog takes messages up to its maxMessageSize (8 KiB by default) and octet-counted frames up
 * to imtcp's maxFrameSize (200,000 bytes by default), so large records need both raised there.
 */
export class SyslogDestination implements Destination {
  private readonly endpoint: SyslogEndpoint;
  private readonly header: SyslogHeader;
  private connection: SyslogConnection | undefined;
  /** Aborted by close(), ending a connection or write in progress. */
  private readonly closing = new AbortController();

  /** Throws an InvalidInputError naming the setting when `config` is not usable. */
  constructor(config: SyslogDestinationConfig) {
    this.endpoint = syslogEndpoint(config);
    this.header = syslogHeader({
      facility: config.facility ?? 'local0',
      hostname: config.hostname ?? osHostname(),
      appName: config.app_name ?? 'sealog',
      enterpriseNumber: config.enterprise_number ?? EXAMPLE_ENTERPRISE_NUMBER,
    });
  }

  /**
   * Writes the batch's events, each an octet-counted RFC 5424 message, in order. `bytes` counts
   * the frames (length prefixes included). Rejects with a non-retryable DeliveryError when an
   * event cannot be formatted or the certificate does not verify; with a retryable one otherwise.
   */
  async deliver(batch: DeliveryBatch, signal: AbortSignal): Promise<Delivered> {
    if (this.closing.signal.aborted) throw new DeliveryError('the syslog destination is closed', true);
    const frames = this.frames(batch);
    // One signal for the caller's abort and close(), made by hand: AbortSignal.any would tie a
    // signal per batch to the destination's long-lived one.
    const controller = new AbortController();
    const onAbort = (): void => {
      controller.abort(signal.aborted ? signal.reason : this.closing.signal.reason);
    };
    signal.addEventListener('abort', onAbort);
    this.closing.signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    try {
      if (controller.signal.aborted) {
        const reason: unknown = controller.signal.reason;
        const why = reason instanceof Error ? `: ${reason.message}` : '';
        throw new DeliveryError(
          `syslog ${this.endpoint.host}:${this.endpoint.port}: delivery aborted${why}`,
          true,
        );
      }
      // Lets the socket report a FIN or reset that came since the last batch: writing into a
      // connection the receiver closed would lose the batch silently.
      await nextLoopTurn();
      let connection = this.connection;
      if (connection?.usable !== true) {
        connection?.destroy();
        this.connection = undefined;
        connection = await SyslogConnection.open(this.endpoint, controller.signal);
        this.connection = connection;
      }
      await connection.write(frames, controller.signal);
      return { bytes: frames.length };
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new DeliveryError(`syslog ${this.endpoint.host}:${this.endpoint.port}: ${message}`, true);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.closing.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Ends the connection, if one is open, and aborts a delivery in progress. */
  async close(): Promise<void> {
    this.closing.abort(new Error('the syslog destination was closed'));
    const connection = this.connection;
    this.connection = undefined;
    await connection?.end();
  }

  private frames(batch: DeliveryBatch): Buffer {
    const frames: Buffer[] = [];
    for (const event of batch.events) {
      try {
        frames.push(frameOctetCounted(formatSyslogMessage(event, this.header)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new DeliveryError(`event ${event.id} cannot be written as a syslog message: ${message}`, false);
      }
    }
    return Buffer.concat(frames);
  }
}

/** The connection settings of `config`, checked; an InvalidInputError naming the setting otherwise. */
function syslogEndpoint(config: SyslogDestinationConfig): SyslogEndpoint {
  if (config.host.length === 0) throw new InvalidInputError('host must not be empty');
  if (!Number.isInteger(config.port) || config.port < 1 || config.port > 65535) {
    throw new InvalidInputError(`port must be an integer from 1 to 65535 (got ${config.port})`);
  }
  const timeoutMs = config.timeout_ms ?? DEFAULT_SYSLOG_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new InvalidInputError(`timeout_ms must be a positive integer of milliseconds (got ${timeoutMs})`);
  }
  if (config.transport !== 'tls') {
    if (config.ca !== undefined || config.server_name !== undefined) {
      throw new InvalidInputError('ca and server_name apply to transport tls only');
    }
    return { host: config.host, port: config.port, transport: 'tcp', timeoutMs };
  }
  if (config.ca !== undefined) checkCaPem(config.ca);
  if (config.server_name?.length === 0) throw new InvalidInputError('server_name must not be empty');
  return {
    host: config.host,
    port: config.port,
    transport: 'tls',
    ca: config.ca,
    serverName: config.server_name,
    timeoutMs,
  };
}

/** Throws unless `pem` holds one or more PEM certificates and nothing else. */
function checkCaPem(pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const rest = blocks.reduce((text, block) => text.replace(block, ''), pem);
  if (blocks.length === 0 || rest.trim() !== '') {
    throw new InvalidInputError(
      'ca must hold PEM certificates (-----BEGIN CERTIFICATE----- …) and nothing else',
    );
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new InvalidInputError(`ca: certificate ${index + 1} does not parse (${message})`);
    }
  }
}
