import type { OutputListener } from "./messages.ts";
import type { StateStore } from "../core/state-store.ts";

/**
 * The output of one command: each line goes to the store (in order) and to the event listener, which logs
 * it for operators. Detail lines go to the store only when the command runs verbose (CONTRACT §3: quiet
 * unless asked), to the listener always.
 */
export class CommandOutput {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  /** `listen` also receives the text of every line; `verbose` enables `detail` lines. */
  constructor(
    private readonly store: StateStore,
    private readonly owner: string,
    readonly verbose: boolean,
    private readonly listen: OutputListener = () => {},
  ) {}

  /** Appends one `\n`-terminated line. */
  line(text: string): void {
    const line = `${text}\n`;
    this.listen(line);
    this.chain = this.chain.then(() =>
      this.store.appendOutput(this.owner, line).catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }

  /** Appends a line when the command runs verbose; otherwise only the listener hears it. */
  detail(text: string): void {
    if (this.verbose) this.line(text);
    else this.announce(`${text}\n`);
  }

  /** Tells the listener about text another store write (the finalize swap) already persisted. */
  announce(text: string): void {
    this.listen(text);
  }

  /** Waits until every line is stored; rethrows the first store failure. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure !== null) throw this.failure;
  }
}

/** `12.3 ms` style durations for detail lines. */
export function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}
