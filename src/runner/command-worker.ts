import type { MessagePort } from "node:worker_threads";
import { runCommand } from "../engine/run-command.ts";
import type { CommandOutcome } from "../engine/types.ts";
import { openStore } from "../stores/open-store.ts";
import type { CommandTask, ReplayTask, SurveyTask } from "../engine/messages.ts";
import type { SurveyedMigration } from "../core/plan.ts";
import { surveyMigrations } from "../engine/survey-migrations.ts";
import { MigrationState } from "../core/states.ts";
import { replayBetweenCommands } from "../engine/replay-captured.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import { createTransformPool } from "./transform-pool.ts";
import { inlineTransformer } from "./inline-transformer.ts";

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

/**
 * Command-pool task: opens its own store, runs the command to its end and closes everything. Rejects
 * only when the store cannot be opened (nothing is recorded then; the main thread handles it). The
 * heartbeat is the main thread's: it says the process lives; a hung run shows as a lack of progress.
 */
export default async function runCommandInWorker(
  input: CommandWorkerInput | ReplayWorkerInput | SurveyWorkerInput,
): Promise<CommandOutcome | number | SurveyedMigration[]> {
  if ("replay" in input) return replayInWorker(input.replay);
  if ("survey" in input) return surveyInWorker(input.survey);
  const { task, port } = input;
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

/** Replays, between commands, what the application wrote to the captured tables since migrate (see replayBetweenCommands). */
async function replayInWorker(task: ReplayTask): Promise<number> {
  const store = await openStore(task.databaseUrl);
  const transformer = inlineTransformer();
  try {
    const waiting = new Set((await store.snapshot()).migrations.filter((m) => m.state === MigrationState.FINALIZATION_REQUIRED).map((m) => m.index));
    const chain = await Promise.all(task.migrations.filter((ref) => waiting.has(ref.index)).map((ref) => loadMigrationFile(ref.path)));
    return await replayBetweenCommands(store, transformer, chain);
  } finally {
    await transformer.close();
    await store.close();
  }
}

/** Loads the pending migrations and surveys them for a `plan`, changing nothing (see surveyMigrations). */
async function surveyInWorker(task: SurveyTask): Promise<SurveyedMigration[]> {
  const store = await openStore(task.databaseUrl);
  try {
    const loaded = [];
    for (const ref of task.migrations) loaded.push(await loadMigrationFile(ref.path));
    return await surveyMigrations(store, loaded);
  } finally {
    await store.close();
  }
}
