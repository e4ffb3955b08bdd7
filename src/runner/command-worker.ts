import type { MessagePort } from "node:worker_threads";
import { runCommand } from "../engine/run-command.ts";
import type { CommandOutcome } from "../engine/types.ts";
import { openStore } from "../stores/open-store.ts";
import type { CommandTask } from "../engine/messages.ts";
import { createTransformPool } from "./transform-pool.ts";

/** What the command pool sends: the claimed task and a transferred port for the output lines. */
export interface CommandWorkerInput {
  /** The claimed command. */
  task: CommandTask;
  /** Receives each output line (a string); transferred to this thread. */
  port: MessagePort;
}

/**
 * Command-pool task: opens its own store, runs the command to its end and closes everything. Rejects
 * only when the store cannot be opened (nothing is recorded then; the main thread handles it). The
 * heartbeat is the main thread's: it says the process lives; a hung run shows as a lack of progress.
 */
export default async function runCommandInWorker({ task, port }: CommandWorkerInput): Promise<CommandOutcome> {
  try {
    const store = await openStore(task.databaseUrl);
    const transformer = createTransformPool(task.transformWorkers);
    try {
      return await runCommand(task, { store, transformer, onOutput: (text) => port.postMessage(text) });
    } finally {
      await transformer.close();
      await store.close();
    }
  } finally {
    port.close();
  }
}
