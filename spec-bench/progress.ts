// Progress on stderr while the suite runs: on a terminal one line that rewrites itself (what runs now,
// runs done of planned, elapsed, an estimate of the rest); in a log a line per step instead. Notes and
// failures are always printed on lines of their own.
import { formatSeconds } from '../harness/terminal.js';

export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private current = '';
  private readonly tty: boolean;

  constructor(
    private total: number,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  /** What is running now. */
  status(what: string): void {
    this.current = what;
    if (this.tty) this.draw();
    else if (!this.quiet) process.stderr.write(`[spec-bench ${this.done}/${this.total}] ${what}\n`);
  }

  /** A planned run finished (or was skipped). */
  tick(): void {
    this.done++;
    if (this.tty) this.draw();
  }

  skip(n: number): void {
    this.done += n;
  }

  note(msg: string): void {
    if (this.quiet) return;
    this.line(msg);
  }

  /** Printed even when quiet: mismatches and failures must not go unseen. */
  loud(msg: string): void {
    this.line(`!!! ${msg}`);
  }

  finish(): void {
    if (this.tty && !this.quiet) process.stderr.write('\r\x1b[2K');
  }

  private line(msg: string): void {
    if (this.tty && !this.quiet) process.stderr.write(`\r\x1b[2K${msg}\n`);
    else process.stderr.write(`${msg}\n`);
    if (this.tty) this.draw();
  }

  private draw(): void {
    if (this.quiet) return;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = this.done > 0 && this.done < this.total ? ` eta ${formatSeconds((elapsed / this.done) * (this.total - this.done))}` : '';
    const text = `[spec-bench ${this.done}/${this.total} runs, ${formatSeconds(elapsed)}${eta}] ${this.current}`;
    const width = process.stderr.columns || 120;
    process.stderr.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
  }
}
