import type { MessagePort } from "node:worker_threads";
import { runCommand } from "../engine/run-command.ts";
import type { CommandOutcome } from "../engine/types.ts";
import { openStore } from "../stores/open-store.ts";
import type { CommandTask, RunnerEvent } from "./messages.ts";
import { createTransformPool } from "./transform-pool.ts";

/** What the command pool sends: the claimed task and a transferred port for output and progress events. */
export interface CommandWorkerInput {
  /** The claimed command. */
  task: CommandTask;
  /** Receives RunnerEvents; transferred to this thread. */
  port: MessagePort;
}

/** How often the worker refreshes the command's heartbeat, in ms (well below the 15 s timeout). */
export const HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * Command-pool task: opens its own store, runs the command to its end and closes everything. Rejects
 * only when the store cannot be opened (nothing is recorded then; the main thread handles it).
 */
export default async function runCommandInWorker({ task, port }: CommandWorkerInput): Promise<CommandOutcome> {
  try {
    const store = await openStore(task.databaseUrl);
    const transformer = createTransformPool(task.transformWorkers);
    const heartbeat = setInterval(() => {
      store.heartbeat(task.owner).catch(() => {});
    }, HEARTBEAT_INTERVAL_MS);
    try {
      await store.heartbeat(task.owner);
      return await runCommand(task, { store, transformer, emit: (event: RunnerEvent) => port.postMessage(event) });
    } finally {
      clearInterval(heartbeat);
      await transformer.close();
      await store.close();
    }
  } finally {
    port.close();
  }
}
