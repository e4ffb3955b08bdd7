/** Where a command writes: stdout lines, stderr lines, and raw text for progress redraws. */
export interface Terminal {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  /** Writes raw text to stdout (no newline added), for `\r` redraws. */
  write(text: string): void;
  /** True when stdout is a terminal: progress bars are drawn only then. */
  readonly isTTY: boolean;
  /** Width of the terminal in columns; 80 when unknown. */
  readonly columns: number;
}

/** The process's own stdout and stderr. */
export function processTerminal(): Terminal {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    write: (text) => process.stdout.write(text),
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns || 80,
  };
}

/**
 * What happens when the reader of stdout or stderr leaves (`migrations stats | head -1`): a client command
 * ends quietly with exit code 0, as Unix tools do; `serve` stops writing there and keeps serving.
 */
export function onClosedOutput(then: "exit" | "keep-running"): void {
  const closed = (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    if (then === "exit") process.exit(0);
  };
  process.stdout.on("error", closed);
  process.stderr.on("error", closed);
}
