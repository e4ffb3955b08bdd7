import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { RunCommand } from "../core/commands.ts";
import type { CommandOutcome } from "../engine/types.ts";
import type { CommandTask, MigrationRef, OutputListener, ReplayTask, WarmTask } from "../engine/messages.ts";

/** What the pool needs to build each task. */
export interface CommandPoolOptions {
  /** Passed to the worker, which opens its own store connection. */
  databaseUrl: string;
  /** Registered migration files. */
  migrations: MigrationRef[];
  /** Threads for parallel `transform` batches. */
  transformWorkers: number;
  /** Most captured changes finalize leaves for its lock window. */
  maxFinalizeBacklog: number;
  /** How long the finalize swap waits for its locks, in ms (default: the store's). */
  finalizeLockWaitMs?: number;
  /** Hears every output line of the running command (detail lines too). */
  onOutput?: OutputListener;
  /** Receives pool-level errors (a worker that failed to start). */
  onError?: (error: Error) => void;
}

/** How long closing the pool waits for the thread to close what it keeps, before it ends the thread anyway, in ms. */
const CLOSE_RESOURCES_MS = 5_000;

/**
 * The piscina pool that runs one command at a time off the main thread. Its one thread lives as long as
 * the pool, and keeps between commands what each would otherwise pay for again: its TypeScript loader and
 * modules, the migration modules, the store, and the transform pool with its threads (thread-resources.ts).
 */
export class CommandPool {
  private readonly pool: Piscina;
  private readonly warm: Promise<boolean>;
  private warmSettled = false;
  private closing = false;

  /** Starts the thread and its warm-up (see ready). */
  constructor(private readonly options: CommandPoolOptions) {
    this.pool = new Piscina({
      filename: new URL("./worker.mjs", import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: 60_000,
      // Between commands the thread's event loop runs (no Atomics.wait): the kept store's idle connections
      // and the transform threads' idle timeouts expire as they should.
      atomics: "disabled",
    });
    this.pool.on("error", (error: Error) => this.options.onError?.(error));
    const warm: WarmTask = { databaseUrl: options.databaseUrl, migrations: options.migrations };
    // A warm-up that fails changes nothing: the first command opens the store and loads the files itself.
    this.warm = this.pool.run({ warm }).then(
      () => true,
      (error: unknown) => {
        if (!this.closing) this.options.onError?.(new Error(`warming up the command thread failed: ${String(error)}`, { cause: error }));
        return false;
      },
    ).finally(() => {
      this.warmSettled = true;
    });
  }

  /** Resolves to true once the thread is up, its store opened and the registered migrations loaded, to false when that failed; never rejects. */
  ready(): Promise<boolean> {
    return this.warm;
  }

  /**
   * Runs one claimed command to its end in the worker and resolves with its exception (null on success);
   * rejects when the worker itself failed, or when `signal` aborted it, which ends the thread (and the
   * transform threads it started) wherever it is.
   */
  async run(command: RunCommand, verbose: boolean, owner: string, signal: AbortSignal): Promise<string | null> {
    const task: CommandTask = {
      command,
      verbose,
      owner,
      databaseUrl: this.options.databaseUrl,
      migrations: this.options.migrations,
      transformWorkers: this.options.transformWorkers,
      maxFinalizeBacklog: this.options.maxFinalizeBacklog,
      finalizeLockWaitMs: this.options.finalizeLockWaitMs,
    };
    const { port1, port2 } = new MessageChannel();
    port1.on("message", (text: string) => this.options.onOutput?.(text));
    try {
      const outcome = (await this.pool.run({ task, port: port2 }, { transferList: [port2], signal })) as CommandOutcome;
      return outcome.exception;
    } finally {
      port1.close();
    }
  }

  /** Replays captured changes between commands in the worker (see replayBetweenCommands); resolves to the changes replayed. */
  async replay(): Promise<number> {
    const task: ReplayTask = {
      databaseUrl: this.options.databaseUrl,
      migrations: this.options.migrations,
    };
    return (await this.pool.run({ replay: task })) as number;
  }

  /** Waits for the running task, closes what the thread keeps (store, transform threads) and stops the thread. */
  async close(): Promise<void> {
    this.closing = true;
    // Closed before the warm-up ended, the thread ran no command yet: it ends at once, not after the warm-up.
    if (!this.warmSettled) {
      await this.pool.destroy();
      return;
    }
    await this.pool.run({ close: true }, { signal: AbortSignal.timeout(CLOSE_RESOURCES_MS) }).catch(() => undefined);
    await this.pool.close();
  }
}
