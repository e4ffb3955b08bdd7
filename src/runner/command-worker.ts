import type { MessagePort } from "node:worker_threads";
import { runCommand } from "../engine/run-command.ts";
import type { CommandOutcome } from "../engine/types.ts";
import { openStore } from "../stores/open-store.ts";
import type { CommandTask, ReplayTask, SurveyTask, WarmTask } from "../engine/messages.ts";
import type { SurveyedMigration } from "../core/plan.ts";
import { surveyMigrations } from "../engine/survey-migrations.ts";
import { MigrationState } from "../core/states.ts";
import { replayBetweenCommands } from "../engine/replay-captured.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import { inlineTransformer } from "./inline-transformer.ts";
import { afterCommand, closeThreadResources, keptStore, keptTransformer } from "./thread-resources.ts";

/** What the command pool sends: the claimed task and a transferred port for the output lines. */
export interface CommandWorkerInput {
  /** The claimed command. */
  task: CommandTask;
  /** Receives each output line (a string); transferred to this thread. */
  port: MessagePort;
}

/** What the survey pool sends for a `plan`. */
export interface SurveyWorkerInput {
  /** The survey. */
  survey: SurveyTask;
}

/** What the command pool sends for a replay between commands. */
export interface ReplayWorkerInput {
  /** The replay. */
  replay: ReplayTask;
}

/** What the command pool sends first, while the service starts (see warmUp). */
export interface WarmWorkerInput {
  /** The warm-up. */
  warm: WarmTask;
}

/** What the command pool sends last, when the service closes: close everything the thread keeps. */
export interface CloseWorkerInput {
  /** Always true. */
  close: true;
}

/**
 * Command-pool task: runs the command to its end on the store and transform pool this thread keeps
 * between commands (thread-resources.ts). Rejects only when the store cannot be opened (nothing is
 * recorded then; the main thread handles it). The heartbeat is the main thread's: it says the process
 * lives; a hung run shows as a lack of progress.
 */
export default async function runCommandInWorker(
  input: CommandWorkerInput | ReplayWorkerInput | SurveyWorkerInput | WarmWorkerInput | CloseWorkerInput,
): Promise<CommandOutcome | number | SurveyedMigration[] | void> {
  if ("replay" in input) return replayInWorker(input.replay);
  if ("survey" in input) return surveyInWorker(input.survey);
  if ("warm" in input) return warmUp(input.warm);
  if ("close" in input) return closeThreadResources();
  const { task, port } = input;
  try {
    const store = await keptStore(task.databaseUrl);
    const transformer = await keptTransformer(task.transformWorkers);
    try {
      return await runCommand(task, { store, transformer, onOutput: (text) => port.postMessage(text) });
    } finally {
      await afterCommand();
    }
  } finally {
    port.close();
  }
}

/**
 * Makes the first command as quick as the next ones: opens the kept store and imports the registered
 * migration files (an ES module stays loaded per file version), while the service starts.
 */
async function warmUp(task: WarmTask): Promise<void> {
  try {
    await keptStore(task.databaseUrl);
    for (const ref of task.migrations) await loadMigrationFile(ref.path);
  } finally {
    await afterCommand();
  }
}

/** Replays, between commands, what the application wrote to the captured tables since migrate (see replayBetweenCommands). */
async function replayInWorker(task: ReplayTask): Promise<number> {
  const store = await keptStore(task.databaseUrl);
  try {
    const waiting = new Set((await store.snapshot()).migrations.filter((m) => m.state === MigrationState.FINALIZATION_REQUIRED).map((m) => m.index));
    const chain = await Promise.all(task.migrations.filter((ref) => waiting.has(ref.index)).map((ref) => loadMigrationFile(ref.path)));
    return await replayBetweenCommands(store, inlineTransformer(), chain);
  } finally {
    await afterCommand();
  }
}

/** Loads the pending migrations and surveys them for a `plan`, changing nothing (see surveyMigrations). */
async function surveyInWorker(task: SurveyTask): Promise<SurveyedMigration[]> {
  const store = await openStore(task.databaseUrl, true);
  try {
    const loaded = [];
    for (const ref of task.migrations) loaded.push(await loadMigrationFile(ref.path));
    return await surveyMigrations(store, loaded);
  } finally {
    await store.close();
  }
}
