// Progress on stderr: one self-rewriting line on a terminal, a line every ~10 % (or 30 s) otherwise,
// so CI logs stay short and a person at a terminal sees it move.

export class Progress {
  private done = 0;
  private readonly counts = new Map<string, number>();
  private readonly started = Date.now();
  private lastPrinted = 0;
  private lastBucket = -1;
  private printedDone = -1;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  tick(status: string): void {
    this.done++;
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
    this.print(false);
  }

  /** A finding worth seeing before the run ends (a regression), on its own line. */
  note(text: string): void {
    if (this.quiet) return;
    process.stderr.write((this.tty ? '\r\x1b[2K' : '') + text + '\n');
    this.lastPrinted = 0;
  }

  finish(): void {
    this.print(true);
  }

  private print(final: boolean): void {
    if (this.quiet) return;
    const now = Date.now();
    const elapsed = (now - this.started) / 1000;
    const eta = this.done > 0 && this.done < this.total ? (elapsed / this.done) * (this.total - this.done) : 0;
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
