import { FINALIZATION_STARTED } from "../core/claim-changes.ts";
import { MigrationState } from "../core/states.ts";
import { loadMigrationFile } from "../migrations/load-file.ts";
import { CommandOutput } from "./command-output.ts";
import { LeaseLostError } from "../stores/lease-lost.ts";
import { errorText } from "./error-text.ts";
import { finalizePhase } from "./finalize-phase.ts";
import { migratePhase } from "./migrate-phase.ts";
import { ProgressTracker } from "./progress-tracker.ts";
import { ThrottleGate } from "./throttle-gate.ts";
import { RANGE_BYTES } from "./transform-table.ts";
import { pendingMigrations, setStates } from "./record-states.ts";
import { resetCommand } from "./reset-command.ts";
import type { CommandContext, CommandOutcome, EngineDeps, PhaseResult } from "./types.ts";
import type { CommandTask } from "./messages.ts";

/** Rows per transform range unless the caller says otherwise: large enough that per-range costs (a transaction, a COPY) vanish, small enough to keep memory flat. */
export const DEFAULT_BATCH_ROWS = 20_000;

/**
 * Runs a command the main thread already claimed, to its end. Migration errors never throw: they are
 * recorded through the store (every write conditioned on `task.owner`), and the command ends with its
 * last record states in one transaction (`completeCommand`, or the finalize swap itself).
 */
export async function runCommand(task: CommandTask, deps: EngineDeps): Promise<CommandOutcome> {
  const { store } = deps;
  const out = new CommandOutput(store, task.owner, task.verbose, deps.onOutput);
  const throttle = new ThrottleGate(store, task.owner, out, task.command === "finalize" ? "finalization" : "migration");
  const ctx: CommandContext = {
    task,
    store,
    transformer: throttle.watch(deps.transformer),
    load: deps.load ?? ((ref) => loadMigrationFile(ref.path)),
    out,
    progress: new ProgressTracker(store, task.owner),
    batchRows: deps.batchRows ?? DEFAULT_BATCH_ROWS,
    rangeBytes: deps.rangeBytes ?? RANGE_BYTES,
    throttle,
    finished: false,
  };
  try {
    const result = await dispatch(ctx);
    await ctx.progress.flush();
    await ctx.out.flush();
    // The last states and the end of the command become visible together, never a finished state first.
    if (!ctx.finished) await store.completeCommand(task.owner, result.records, result.exception, result.liftProtection);
    return { exception: result.exception };
  } catch (error) {
    const exception = errorText(error);
    // Another command holds the run now: everything of this run's is its business, nothing is written.
    if (error instanceof LeaseLostError) return { exception };
    // A fault outside any migration (the store itself): fail what runs and lift the protection.
    await ctx.out.flush().catch(() => {});
    await store.interruptCommand(task.owner, exception).catch(() => false);
    return { exception };
  }
}

async function dispatch(ctx: CommandContext): Promise<PhaseResult> {
  switch (ctx.task.command) {
    case "migrate":
      return migratePhase(ctx);
    case "finalize": {
      if ((await pendingMigrations(ctx)).length > 0) {
        const migrated = await migratePhase(ctx);
        if (migrated.exception !== null) return migrated;
        // Straight to finalization_running: an observer must not see finalization_required mid-command.
        await setStates(ctx, migrated.records, MigrationState.FINALIZATION_RUNNING);
        // The claim wrote only the command's first line ("migration started"); this one is the engine's.
        ctx.out.line(FINALIZATION_STARTED.trimEnd());
      }
      return finalizePhase(ctx);
    }
    case "reset":
      return resetCommand(ctx);
  }
}
