import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait-for.js';

/** Debian's rsyslog daemon (packages rsyslog, and rsyslog-openssl for TLS). */
export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** One message as rsyslog's RFC 5424 parser read it. */
export interface ReceivedMessage {
  pri: number;
  /** TIMESTAMP as rsyslog writes it in RFC 3339 (the time it received, for NILVALUE). */
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** STRUCTURED-DATA as it arrived, escapes kept; `-` when it had none. */
  structuredData: string;
  /** MSG as rsyslog has it: a BOM the sender put before it is kept. */
  msg: string;
}

/** The server side of TLS (RFC 5425 through rsyslog's ossl driver): PEM files. */
export interface RsyslogTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * What the template writes, one JSON object a line: rsyslog's `json` property option escapes the
 * value for a JSON string (control characters arrive escaped as `#ooo` already).
 */
const TEMPLATE_FIELDS = {
  pri: 'pri',
  timestamp: 'timereported:::date-rfc3339',
  hostname: 'hostname:::json',
  appName: 'app-name:::json',
  procId: 'procid:::json',
  msgId: 'msgid:::json',
  structuredData: 'structured-data:::json',
  msg: 'msg:::json',
};

/** The longest rsyslogd may take to listen or to exit: a guard against a hang, never an expectation. */
const LIMIT_MS = 120_000;

/**
 * A real rsyslogd, in the foreground, listening with imtcp on 127.0.0.1 (TCP, or TLS with
 * `tls`), writing every message it receives to a file of its own temporary directory. Its
 * configuration, work directory, pid file and logs all live there: it loads no imuxsock or imklog,
 * and keeps its own messages (processInternalMessages) rather than sending them to /dev/log.
 * It can be stopped and started again on the same port, to play a receiver that is down.
 */
export class RsyslogReceiver {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private output = '';
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  private constructor(
    /** Its temporary directory. */
    readonly dir: string,
    /** The TCP port it listens on, on 127.0.0.1. */
    readonly port: number,
  ) {}

  /** Writes the configuration (checked with `rsyslogd -N1`) on a free port; start() runs it. */
  static async create(options: { tls?: RsyslogTlsFiles } = {}): Promise<RsyslogReceiver> {
    if (!existsSync(RSYSLOGD)) {
      throw new Error(`${RSYSLOGD} is missing: install the Debian packages rsyslog and rsyslog-openssl`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'sealog-rsyslog-'));
    const receiver = new RsyslogReceiver(dir, await freePort());
    await mkdir(join(dir, 'work'));
    await writeFile(receiver.configFile, receiver.config(options.tls));
    try {
      await promisify(execFile)(RSYSLOGD, ['-N1', '-f', receiver.configFile]);
    } catch (error) {
      // TLS needs the ossl driver, which Debian ships apart: rsyslog-openssl.
      const stderr = (error as { stderr?: unknown }).stderr;
      throw new Error(
        `rsyslogd refused its test configuration ${receiver.configFile} ` +
          `(is rsyslog-openssl installed?):\n${typeof stderr === 'string' ? stderr : String(error)}`,
      );
    }
    return receiver;
  }

  private get configFile(): string {
    return join(this.dir, 'rsyslog.conf');
  }

  private get messagesFile(): string {
    return join(this.dir, 'messages.jsonl');
  }

  private get internalLog(): string {
    return join(this.dir, 'rsyslogd.log');
  }

  /** Starts rsyslogd and resolves once it accepts connections; rejects, with its logs, if it exits first. */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error('rsyslogd is running already');
    const args = ['-n', '-f', this.configFile, '-i', join(this.dir, 'rsyslogd.pid')];
    const child = spawn(RSYSLOGD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    process.once('exit', this.killOnExit);
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.output += `${error.message}\n`;
        resolve();
      });
      child.once('close', () => {
        resolve();
      });
    });
    await waitFor(
      `rsyslogd to listen on 127.0.0.1:${this.port}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
          throw new Error(`rsyslogd ended before it listened:\n${this.diagnostics()}`);
        }
        return accepts(this.port);
      },
      { limitMs: LIMIT_MS },
    );
  }

  /** Sends SIGTERM and resolves once rsyslogd exited (SIGKILL after LIMIT_MS). No-op when stopped. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, LIMIT_MS);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
    process.off('exit', this.killOnExit);
    this.child = undefined;
  }

  /** Stops rsyslogd and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Every message written so far, in the order received (a line still being written is left out). */
  messages(): ReceivedMessage[] {
    if (!existsSync(this.messagesFile)) return [];
    const text = readFileSync(this.messagesFile, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    return complete
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const fields = JSON.parse(line) as Record<keyof typeof TEMPLATE_FIELDS, string>;
        return { ...fields, pri: Number(fields.pri) };
      });
  }

  /** Resolves with the messages once at least `count` were written; rejects if rsyslogd ends first. */
  async waitForMessages(count: number): Promise<ReceivedMessage[]> {
    await waitFor(
      `${count} messages from rsyslogd`,
      () => {
        if (this.child === undefined || this.child.exitCode !== null) {
          throw new Error(`rsyslogd is not running:\n${this.diagnostics()}`);
        }
        return this.messages().length >= count;
      },
      { limitMs: LIMIT_MS },
    );
    return this.messages();
  }

  /** What rsyslogd printed and logged about itself, for failure messages. */
  diagnostics(): string {
    const log = existsSync(this.internalLog) ? readFileSync(this.internalLog, 'utf8') : '';
    return `${this.output}${log}`;
  }

  private config(tls: RsyslogTlsFiles | undefined): string {
    const template = Object.entries(TEMPLATE_FIELDS)
      .map(([name, property]) => `\\"${name}\\":\\"%${property}%\\"`)
      .join(',');
    const tlsGlobals = tls
      ? `defaultNetstreamDriverCAFile="${tls.caFile}"\n  defaultNetstreamDriverCertFile="${tls.certFile}"\n` +
        `  defaultNetstreamDriverKeyFile="${tls.keyFile}"\n`
      : '';
    // anon: the server does not ask for a client certificate; the client still verifies the server's.
    const tlsDriver = tls
      ? ' streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"'
      : '';
    // rsyslog's defaults take messages up to 8 KiB (maxMessageSize) and octet-counted frames up to
    // 200,000 bytes (imtcp maxFrameSize); a message carries its record twice, so tests of large
    // records need more.
    return `global(
  processInternalMessages="on"
  workDirectory="${join(this.dir, 'work')}"
  maxMessageSize="4m"
  net.enableDNS="off"
  ${tlsGlobals})
module(load="imtcp" maxFrameSize="4000000"${tlsDriver})
template(name="received" type="string" string="{${template}}\\n")
ruleset(name="received") {
  action(type="omfile" file="${this.messagesFile}" template="received")
}
input(type="imtcp" address="127.0.0.1" port="${this.port}" ruleset="received")
action(type="omfile" file="${this.internalLog}")
`;
  }
}

/** A TCP port nothing listens on now: the kernel's pick for port 0, released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error(`unexpected address ${String(address)}`));
      });
    });
  });
}

/** Whether a TCP connection to 127.0.0.1:port is accepted (closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
