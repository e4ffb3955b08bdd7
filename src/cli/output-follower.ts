import type { Terminal } from "./terminal.ts";

/**
 * Prints a command's growing `output` line by line as it arrives, and on a TTY keeps a progress bar on
 * the last line (cleared before new lines, redrawn after them).
 */
export class OutputFollower {
  private printed = 0;
  private finished = false;
  private bar = "";

  /**
   * `showOutput` false prints no output lines (reset), only the bar. `heldLine`, while it is the output's last
   * line, waits for `finish`: a verbose finalize's lock window line is put just before its last line after the end.
   */
  constructor(private readonly terminal: Terminal, private readonly showOutput: boolean = true, private readonly heldLine?: string) {}

  /** Prints the complete lines of `output` not printed yet; a shorter output means a new command, printed from its start. */
  update(output: string | undefined): void {
    const text = output ?? "";
    if (text.length < this.printed) this.printed = 0;
    const complete = text.lastIndexOf("\n") + 1;
    const held = !this.finished && this.heldLine !== undefined && text.slice(0, complete).endsWith(this.heldLine);
    const end = held ? complete - this.heldLine!.length : complete;
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

  /** Prints what is left (a held line, a trailing line without `\n`) and removes the bar: call once at the end. */
  finish(output: string | undefined): void {
    this.finished = true;
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
