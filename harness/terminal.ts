// Terminal output of the harnesses: progress on stderr, plain-text tables, durations.
//
// Progress is one self-rewriting line on a terminal; in a log (CI, a pipe) it is written as lines
// instead, sparingly, so logs stay short. Findings (notes) always get lines of their own. Two line
// styles: 'counts' (conformance: how many tests ended how, a line per ~10 % or 30 s in a log) and
// 'activity' (spec-bench: what runs now, a line per step in a log).

export type ProgressStyle = 'counts' | 'activity';

export class Progress {
  private done = 0;
  private readonly counts = new Map<string, number>();
  private readonly started = Date.now();
  private current = '';
  private lastPrinted = 0;
  private lastBucket = -1;
  private printedDone = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
    private readonly style: ProgressStyle = 'counts',
  ) {
    this.tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  /** One planned item finished; `status` (how it ended) is counted on the line. */
  tick(status?: string): void {
    this.done++;
    if (status !== undefined) this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    if (this.style === 'counts') this.printCounts(false);
    else if (this.tty) this.draw();
  }

  /** Planned items that will not run (a failed build): counted as done, silently. */
  skip(n: number): void {
    this.done += n;
  }

  /** What is running now ('activity' style). */
  status(what: string): void {
    this.current = what;
    if (this.tty) this.draw();
    else if (!this.quiet) process.stderr.write(`[${this.label} ${this.done}/${this.total}] ${what}\n`);
  }

  /** A finding worth seeing before the run ends, on its own line. */
  note(text: string): void {
    if (this.quiet) return;
    this.line(text);
  }

  /** Printed even when quiet: mismatches and failures must not go unseen. */
  loud(text: string): void {
    this.line(`!!! ${text}`);
  }

  finish(): void {
    if (this.style === 'counts') this.printCounts(true);
    else if (this.tty && !this.quiet) process.stderr.write('\r\x1b[2K');
  }

  private line(text: string): void {
    process.stderr.write((this.tty && !this.quiet ? '\r\x1b[2K' : '') + text + '\n');
    // The progress line was wiped: draw it again now ('activity') or at the next tick ('counts').
    if (this.style === 'counts') this.lastPrinted = 0;
    else if (this.tty) this.draw();
  }

  private elapsedAndEta(): { elapsed: number; eta: number } {
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = this.done > 0 && this.done < this.total ? (elapsed / this.done) * (this.total - this.done) : 0;
    return { elapsed, eta };
  }

  /** 'activity': the line that says what runs now, cut to the terminal's width. */
  private draw(): void {
    if (this.quiet) return;
    const { elapsed, eta } = this.elapsedAndEta();
    const text = `[${this.label} ${this.done}/${this.total} runs, ${formatSeconds(elapsed)}${eta ? ` eta ${formatSeconds(eta)}` : ''}] ${this.current}`;
    const width = process.stderr.columns || 120;
    process.stderr.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
  }

  /** 'counts': the tally line; in a log, only at each tenth of the way, every 30 s and at the end. */
  private printCounts(final: boolean): void {
    if (this.quiet) return;
    const now = Date.now();
    const { elapsed, eta } = this.elapsedAndEta();
    const parts = [...this.counts].map(([k, v]) => `${k} ${v}`).join('  ');
    const line = `[${this.label}] ${this.done}/${this.total}  ${parts}  ${formatSeconds(elapsed)}${eta ? ` (eta ${formatSeconds(eta)})` : ''}`;
    if (this.tty) {
      if (final || now - this.lastPrinted > 100) {
        process.stderr.write('\r\x1b[2K' + line + (final ? '\n' : ''));
        this.lastPrinted = now;
      }
      return;
    }
    const bucket = Math.floor((this.done * 10) / Math.max(1, this.total));
    if (final && this.printedDone === this.done) return;
    if (final || bucket !== this.lastBucket || now - this.lastPrinted > 30_000) {
      process.stderr.write(line + '\n');
      this.lastBucket = bucket;
      this.lastPrinted = now;
      this.printedDone = this.done;
    }
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

/** A plain-text table; numbers right-aligned, first column left-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [fmt(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)].join('\n');
}
