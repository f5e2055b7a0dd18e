import net from 'node:net';
import tls from 'node:tls';
import { DeliveryError } from './destination.js';

/** Where a syslog destination sends, and how long it waits. */
export interface SyslogEndpoint {
  readonly host: string;
  /** TCP port, 1–65535. */
  readonly port: number;
  readonly transport: 'tcp' | 'tls';
  /** PEM certificates trusted instead of the system's CAs (TLS only); undefined: the system's. */
  readonly ca?: string;
  /** The name the server's certificate must hold, sent as SNI when it is a DNS name; undefined: host. */
  readonly serverName?: string;
  /** The longest a connection (handshake included) or a batch's write may take, in ms. */
  readonly timeoutMs: number;
}

/**
 * OpenSSL's verification results and Node's name check: the server's certificate does not
 * verify, which retrying cannot change.
 */
const UNVERIFIED_CERTIFICATE = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * One TCP or TLS connection to a syslog receiver. The receiver never answers (RFC 6587 and 5425
 * have no acknowledgement), so the socket is read only to learn early that the peer closed it: a
 * write to a connection whose FIN was not yet noticed is taken by the kernel and lost.
 */
export class SyslogConnection {
  /** Why the connection is no longer usable; undefined while it is. */
  private failure: Error | undefined;
  /** Rejects the write in progress, if any, when the connection fails. */
  private onFailure: ((error: Error) => void) | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly endpoint: SyslogEndpoint,
  ) {
    socket.setKeepAlive(true, 60_000);
    // Flowing without a 'data' listener discards what arrives; what matters is seeing 'end'.
    socket.resume();
    socket.on('end', () => {
      this.fail(new Error('the server closed the connection'));
    });
    socket.on('close', () => {
      this.fail(new Error('the connection closed'));
    });
    socket.on('error', (error) => {
      this.fail(error);
    });
  }

  /**
   * Connects (and for TLS, completes the handshake, verifying the server's certificate). Rejects
   * with a DeliveryError: non-retryable when the certificate does not verify, retryable for a
   * refused or reset connection, a timeout (`timeoutMs`) or an abort.
   */
  static open(endpoint: SyslogEndpoint, signal: AbortSignal): Promise<SyslogConnection> {
    if (signal.aborted) return Promise.reject(abortError(endpoint, signal));
    return new Promise((resolve, reject) => {
      const socket =
        endpoint.transport === 'tls'
          ? tls.connect(tlsOptions(endpoint))
          : net.connect({ host: endpoint.host, port: endpoint.port });
      const ready = endpoint.transport === 'tls' ? 'secureConnect' : 'connect';
      let settled = false;
      const settle = (error?: DeliveryError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (error !== undefined) {
          // The listeners stay: an 'error' without one would crash the process.
          socket.destroy();
          reject(error);
          return;
        }
        socket.off('error', onError).off('close', onClose);
        resolve(new SyslogConnection(socket, endpoint));
      };
      const onError = (error: Error): void => {
        settle(connectionError(endpoint, error));
      };
      const onClose = (): void => {
        settle(new DeliveryError(`${describe(endpoint)}: the connection closed while opening`, true));
      };
      const onAbort = (): void => {
        settle(abortError(endpoint, signal));
      };
      const timer = setTimeout(() => {
        settle(
          new DeliveryError(`${describe(endpoint)}: not connected within ${endpoint.timeoutMs} ms`, true),
        );
      }, endpoint.timeoutMs);
      socket.once(ready, () => {
        settle();
      });
      socket.on('error', onError).on('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Whether no failure, close or end of the peer was seen: a write may be tried. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /**
   * Writes `bytes` and resolves once the socket flushed them to the kernel, the connection still
   * standing. Rejects with a retryable DeliveryError, the connection destroyed (a partial frame
   * must not be followed by another on it), when it fails or closes first, when `timeoutMs`
   * passes (the receiver stopped reading) or when `signal` aborts.
   */
  write(bytes: Buffer, signal: AbortSignal): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(lostError(this.endpoint, this.failure));
    if (signal.aborted) {
      this.destroy();
      return Promise.reject(abortError(this.endpoint, signal));
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error?: DeliveryError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.onFailure = undefined;
        if (error === undefined) {
          resolve();
          return;
        }
        this.destroy();
        reject(error);
      };
      const onAbort = (): void => {
        settle(abortError(this.endpoint, signal));
      };
      const timer = setTimeout(() => {
        const message = `the server did not take ${bytes.length} bytes within ${this.endpoint.timeoutMs} ms`;
        settle(new DeliveryError(`${describe(this.endpoint)}: ${message}`, true));
      }, this.endpoint.timeoutMs);
      this.onFailure = (failure) => {
        settle(lostError(this.endpoint, failure));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.socket.write(bytes, (error) => {
        if (error) settle(connectionError(this.endpoint, error));
        else settle(this.failure === undefined ? undefined : lostError(this.endpoint, this.failure));
      });
    });
  }

  /** Ends the connection (FIN), and destroys it when the server has not closed it within timeoutMs. */
  end(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), this.endpoint.timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.failure ??= new Error('the connection was destroyed');
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.socket.destroy();
    this.onFailure?.(this.failure);
  }
}

function tlsOptions(endpoint: SyslogEndpoint): tls.ConnectionOptions {
  const name = endpoint.serverName ?? endpoint.host;
  return {
    host: endpoint.host,
    port: endpoint.port,
    ca: endpoint.ca,
    // SNI carries DNS names only (RFC 6066 §3); an IP address is still checked against the IP SANs.
    servername: net.isIP(name) === 0 ? name : undefined,
    checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(name, certificate),
    rejectUnauthorized: true,
  };
}

/** What a socket error means for the batch: a certificate to fix, or a connection to retry. */
function connectionError(endpoint: SyslogEndpoint, error: Error): DeliveryError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (UNVERIFIED_CERTIFICATE.has(code)) {
    const remedy =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
        ? 'set server_name to a name the certificate holds, or give the server a certificate for ' +
          (endpoint.serverName ?? endpoint.host)
        : "if the server's certificate comes from a private CA, put that CA's certificate (PEM) in the " +
          "destination's ca; otherwise give the server a certificate that verifies";
    return new DeliveryError(
      `${describe(endpoint)}: the server's TLS certificate does not verify (${code}: ${error.message}): ${remedy}`,
      false,
    );
  }
  return new DeliveryError(`${describe(endpoint)}: ${error.message}`, true);
}

function lostError(endpoint: SyslogEndpoint, failure: Error): DeliveryError {
  return failure instanceof DeliveryError ? failure : connectionError(endpoint, failure);
}

function abortError(endpoint: SyslogEndpoint, signal: AbortSignal): DeliveryError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? `: ${reason.message}` : '';
  return new DeliveryError(`${describe(endpoint)}: delivery aborted${why}`, true);
}

function describe(endpoint: SyslogEndpoint): string {
  return `syslog ${endpoint.transport} ${endpoint.host}:${endpoint.port}`;
}
