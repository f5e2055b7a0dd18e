import cliProgress from 'cli-progress';
import type { DataMigrationProgress } from '../domain/audit-store.js';

/** Reports how many rows of a copy are done. */
export interface CopyProgress {
  /** `done` rows of `total` were copied before this run began (a resumed copy). */
  start(total: number, done: number): void;
  /** `rows` more rows of `table` are committed. */
  advance(table: string, rows: number): void;
  /** Ends the report (the bar's last frame, or a final line). */
  stop(): void;
}

/** Least time between two plain progress lines, in ms. */
const PLAIN_INTERVAL_MS = 5000;

/**
 * A bar redrawn in place when `stream` is a terminal; otherwise (a log file, CI, a pipe) a plain
 * line at most every five seconds, since carriage-return redraws make unreadable logs.
 */
export function createCopyProgress(
  stream: NodeJS.WriteStream,
  words: { doing: string; line: string } = { doing: 'copying', line: 'copy' },
): CopyProgress {
  return stream.isTTY ? new BarProgress(stream, words.doing) : new PlainProgress(stream, words.line);
}

class BarProgress implements CopyProgress {
  private readonly bar: cliProgress.SingleBar;

  constructor(stream: NodeJS.WriteStream, verb: string) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${verb} {table} |{bar}| {percentage}% | {value}/{total} rows | ETA {eta_formatted}`,
        hideCursor: true,
        // The interrupt handler of copy-command stops the bar, which restores the cursor.
        gracefulExit: false,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number, done: number): void {
    this.bar.start(total, done, { table: '' });
  }

  advance(table: string, rows: number): void {
    this.bar.increment(rows, { table });
  }

  stop(): void {
    this.bar.stop();
  }
}

class PlainProgress implements CopyProgress {
  private total = 0;
  private done = 0;
  private table = '';
  private lastLineAt = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly verb: string,
  ) {}

  start(total: number, done: number): void {
    this.total = total;
    this.done = done;
    this.lastLineAt = Date.now();
  }

  advance(table: string, rows: number): void {
    this.done += rows;
    this.table = table;
    if (Date.now() - this.lastLineAt >= PLAIN_INTERVAL_MS) this.line();
  }

  stop(): void {
    this.line();
  }

  private line(): void {
    this.lastLineAt = Date.now();
    const percent = this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
    const where = this.table === '' ? '' : `, at ${this.table}`;
    this.stream.write(`${this.verb}: ${this.done}/${this.total} rows (${percent}%)${where}\n`);
  }
}

/**
 * A data migration's progress (sealing rows, numbering leaves) on `stream`: a bar per piece of work
 * on a terminal, a line every few seconds otherwise.
 */
export function dataMigrationProgress(stream: NodeJS.WriteStream): DataMigrationProgress {
  let report: CopyProgress | undefined;
  return {
    begin(work, total) {
      report = createCopyProgress(stream, { doing: work, line: work });
      report.start(total, 0);
    },
    advance(rows) {
      report?.advance('', rows);
    },
    end() {
      report?.stop();
      report = undefined;
    },
  };
}
