import type { Terminal } from "./terminal.ts";

/**
 * Prints a command's growing `output` line by line as it arrives, and on a TTY keeps a progress bar on
 * the last line (cleared before new lines, redrawn after them).
 */
export class OutputFollower {
  private printed = 0;
  private bar = "";

  /** `showOutput` false prints no output lines (reset), only the bar. */
  constructor(private readonly terminal: Terminal, private readonly showOutput: boolean = true) {}

  /** Prints the complete lines of `output` not printed yet; a shorter output means a new command, printed from its start. */
  update(output: string | undefined): void {
    const text = output ?? "";
    if (text.length < this.printed) this.printed = 0;
    const end = text.lastIndexOf("\n") + 1;
    if (end <= this.printed) return;
    const fresh = text.slice(this.printed, end);
    this.printed = end;
    if (!this.showOutput) return;
    this.withBarCleared(() => {
      for (const line of fresh.slice(0, -1).split("\n")) this.terminal.out(line);
    });
  }

  /** Redraws the progress bar (TTY only); an empty bar clears it. */
  drawBar(bar: string): void {
    if (!this.terminal.isTTY || bar === this.bar) return;
    this.terminal.write(`\r\x1b[K${bar}`);
    this.bar = bar;
  }

  /** Prints a trailing line without `\n`, if any, and removes the bar: call once at the end. */
  finish(output: string | undefined): void {
    this.update(output);
    const rest = (output ?? "").slice(this.printed);
    this.drawBar("");
    if (rest !== "" && this.showOutput) this.terminal.out(rest);
    this.printed += rest.length;
  }

  /** Runs `print` with the bar removed, then draws the bar again. */
  private withBarCleared(print: () => void): void {
    const bar = this.bar;
    if (bar !== "") this.drawBar("");
    print();
    if (bar !== "") this.drawBar(bar);
  }
}
