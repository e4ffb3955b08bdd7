import { MigrationState } from "../core/states.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import { CommandOutput } from "./command-output.ts";
import { errorText } from "./error-text.ts";
import { finalizePhase } from "./finalize-phase.ts";
import { migratePhase } from "./migrate-phase.ts";
import { ProgressTracker } from "./progress-tracker.ts";
import { migrationsIn, pendingMigrations, setStates } from "./record-states.ts";
import { resetCommand } from "./reset-command.ts";
import type { CommandContext, CommandOutcome, EngineDeps } from "./types.ts";
import type { CommandTask } from "../runner/messages.ts";

/** Rows per transform batch unless the caller says otherwise. */
export const DEFAULT_BATCH_ROWS = 500;

/**
 * Runs a command the main thread already claimed, to its end. Migration errors never throw: they are
 * recorded through the store (every write conditioned on `task.owner`) and end in `finishCommand`.
 */
export async function runCommand(task: CommandTask, deps: EngineDeps): Promise<CommandOutcome> {
  const { store } = deps;
  const ctx: CommandContext = {
    task,
    store,
    transformer: deps.transformer,
    load: deps.load ?? ((ref) => loadMigrationFile(ref.path)),
    out: new CommandOutput(store, task.owner, task.verbose, deps.emit),
    progress: new ProgressTracker(store, task.owner, deps.emit),
    batchRows: deps.batchRows ?? DEFAULT_BATCH_ROWS,
  };
  let exception: string | null;
  try {
    exception = await dispatch(ctx);
    await ctx.progress.flush();
    await ctx.out.flush();
  } catch (error) {
    // A fault outside any migration (the store itself): fail what runs and lift the protection.
    exception = errorText(error);
    await ctx.out.flush().catch(() => {});
    await store.interruptCommand(task.owner, exception).catch(() => false);
    return { exception };
  }
  await store.finishCommand(task.owner, exception);
  return { exception };
}

async function dispatch(ctx: CommandContext): Promise<string | null> {
  switch (ctx.task.command) {
    case "migrate":
      return migratePhase(ctx);
    case "finalize": {
      if ((await pendingMigrations(ctx)).length > 0) {
        const failed = await migratePhase(ctx);
        if (failed !== null) return failed;
        const migrated = await migrationsIn(ctx, [MigrationState.FINALIZATION_REQUIRED]);
        await setStates(ctx, migrated, MigrationState.FINALIZATION_RUNNING);
      }
      return finalizePhase(ctx);
    }
    case "reset":
      await resetCommand(ctx);
      return null;
  }
}
