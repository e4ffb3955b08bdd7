import { MigrationState } from "../core/states.ts";
import type { LoadedMigration } from "../migrations/types.ts";
import type { MigrationRef } from "./messages.ts";
import type { SwapResult } from "../stores/store.ts";
import { formatMs } from "./command-output.ts";
import { LeaseLostError } from "../stores/lease-lost.ts";
import { SwapLocksBusyError } from "../stores/swap-locks-busy.ts";
import { CancelledError } from "./cancelled.ts";
import { errorText, runMigrationStep } from "./error-text.ts";
import { fence } from "./fence.ts";
import { inlineMapper, loggedTables, replayCaptured, reportReplayed } from "./replay-captured.ts";
import { migrationsIn, recordsIn, setStates } from "./record-states.ts";
import type { CommandContext, PhaseResult } from "./types.ts";

/** The last line of a finalize that succeeded. */
const FINISHED_LINE = "finalization finished\n";

/**
 * The finalize part (its first line, `finalization started`, is written by the claim, or by `dispatch` after a migrate part): `cleanup` of each migrated migration on the shadow session, then the atomic swap,
 * which also sets the records `finalized` and ends the command (`ctx.finished`); after its COMMIT, the lock
 * window goes to the records and (verbose) to the output. A cancel before the swap
 * puts the records back to `finalization_required` with the shadow copies and the writes' guard kept (the
 * next finalize tries again); once the swap is entered it is not interrupted. A swap that could not get its
 * locks in time changed nothing: the migrations go back to `finalization_required` likewise, with no
 * exception, so the next `finalize` simply tries again.
 */
export async function finalizePhase(ctx: CommandContext): Promise<PhaseResult> {
  const finalizing = await migrationsIn(ctx, [MigrationState.FINALIZATION_REQUIRED, MigrationState.FINALIZATION_RUNNING]);
  await setStates(ctx, finalizing, MigrationState.FINALIZATION_RUNNING);
  let current: MigrationRef | null = null;
  try {
    const loaded: LoadedMigration[] = [];
    for (const ref of finalizing) {
      current = ref;
      loaded.push(await ctx.load(ref));
    }
    await runCleanups(ctx, loaded, (ref) => (current = ref));
    current = null;
    await drainBacklog(ctx, loaded);
    await ctx.out.flush();
    await ctx.progress.flush();
    await enterSwap(ctx);
    let closing = { details: "", finished: "" };
    await ctx.store.finalizeSwap({
      owner: ctx.task.owner,
      tables: [...new Set(loaded.flatMap((m) => m.migration.tables))],
      alters: loaded.flatMap((m) => Object.entries(m.migration.alter ?? {}).map(([table, steps]) => ({ table, steps }))),
      records: loaded.map((m) => ({ index: m.index, name: m.name, checksum: m.checksum, state: MigrationState.FINALIZED })),
      replayMapper: inlineMapper(loaded),
      lockWaitMs: ctx.task.finalizeLockWaitMs,
      closingOutput: (summary) => {
        closing = closingLines(loaded, summary);
        return (ctx.task.verbose ? closing.details : "") + closing.finished;
      },
      committed: async (summary) => {
        // The swap stored its lines and ended the command; the listener (the operator's log) hears all of them.
        ctx.out.announce(closing.details + closing.finished);
        await recordLockWindow(ctx, loaded, summary.lockWindowMs);
      },
    });
    ctx.finished = true;
    return { exception: null, records: [], liftProtection: false };
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    if (error instanceof SwapLocksBusyError) return keepFinalizationRequired(ctx, finalizing, error);
    const exception = errorText(error);
    if (error instanceof CancelledError) {
      ctx.out.line(`finalization ${exception}: back to finalization_required, the shadow copies are kept; finalize again to retry`);
      return { exception: null, records: recordsIn(finalizing, MigrationState.FINALIZATION_REQUIRED), liftProtection: false };
    }
    ctx.out.line(current ? `finalization ${current.name} failed: ${exception}` : `finalization failed: ${exception}`);
    return { exception, records: recordsIn(finalizing, MigrationState.FINALIZATION_FAILED), liftProtection: true };
  }
}

/**
 * Records the swap's lock window, COMMIT included, on the finalized records and (verbose) as a line of the
 * ended command just before its last one, `finalization finished`, which the contract keeps last; the
 * listener hears the line either way. The finalize committed: a failure of this write
 * only loses the figure, and goes to the listener (the operator's log).
 */
async function recordLockWindow(ctx: CommandContext, loaded: readonly LoadedMigration[], lockWindowMs: number): Promise<void> {
  const line = `finalization: lock window ${formatMs(lockWindowMs)}\n`;
  ctx.out.announce(line);
  try {
    await ctx.store.recordLockWindow(ctx.task.owner, loaded.map((m) => m.index), lockWindowMs, ctx.task.verbose ? line : "", FINISHED_LINE);
  } catch (error) {
    ctx.out.announce(`finalization: the lock window could not be recorded: ${errorText(error)}\n`);
  }
}

/** From here the swap runs to its end: a cancel recorded first stops the finalize instead (CancelledError). */
async function enterSwap(ctx: CommandContext): Promise<void> {
  if (await ctx.store.enterSwap(ctx.task.owner, ctx.task.finalizeLockWaitMs)) return;
  const control = await ctx.store.readThrottle(ctx.task.owner);
  if (control === null) throw new LeaseLostError(ctx.task.owner, "the swap");
  throw new CancelledError(control.cancelledBy ?? "unknown");
}

/** Attempts of each write that ends a finalize which could not lock (each waits for locks itself, up to about 10 s). */
const KEEP_WRITE_ATTEMPTS = 6;

/**
 * Ends a finalize whose swap could not get its locks: the reason goes to the output and the migrations back to
 * `finalization_required`, without an exception and keeping protection and capture. The transaction that held
 * the locks may hold them a while longer (on SQLite it blocks every write to the file), so these two writes are
 * retried rather than turning a retryable finalize into a failed one.
 */
async function keepFinalizationRequired(ctx: CommandContext, finalizing: readonly MigrationRef[], busy: SwapLocksBusyError): Promise<PhaseResult> {
  const line = `finalization not done: ${busy.message}\n`;
  const records = recordsIn(finalizing, MigrationState.FINALIZATION_REQUIRED);
  ctx.out.announce(line);
  await persistently(() => ctx.store.appendOutput(ctx.task.owner, line));
  await persistently(() => ctx.store.completeCommand(ctx.task.owner, records, null, false));
  ctx.finished = true;
  return { exception: null, records, liftProtection: false };
}

/** Runs a store write again after a short pause while it fails, KEEP_WRITE_ATTEMPTS times at most; a lost lease is final at once. */
async function persistently<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (error instanceof LeaseLostError || attempt >= KEEP_WRITE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The lines that close a finalize: the detail lines (stored only when verbose) and `finalization finished`. */
function closingLines(loaded: readonly LoadedMigration[], summary: SwapResult): { details: string; finished: string } {
  const details = [
    ...summary.swapped.map((table) => `finalization: swapped in table "${table}"`),
    ...summary.dropped.map((table) => `finalization: dropped table "${table}"`),
    ...(summary.replayed > 0 ? [`finalization: replayed ${summary.replayed} change(s) under the lock`] : []),
    ...loaded.map((m) => `finalization ${m.name}: finalized`),
  ];
  return { details: details.map((line) => `${line}\n`).join(""), finished: FINISHED_LINE };
}


/**
 * Replays the captured tables' changes until the backlog left is at most the task's bound, so the swap's
 * lock window holds only that rest: while the application writes faster than a round replays, finalize
 * keeps replaying instead of locking.
 */
async function drainBacklog(ctx: CommandContext, loaded: readonly LoadedMigration[]): Promise<void> {
  if ((await loggedTables(ctx.store)).length === 0) return;
  const session = await ctx.store.openSession({ verbose: ctx.task.verbose, log: (line) => ctx.out.line(line) });
  try {
    const replay = { store: ctx.store, transformer: ctx.transformer, session, owner: ctx.task.owner };
    for (;;) {
      await fence(ctx, "replaying the captured changes");
      reportReplayed(ctx, "before finalize", await replayCaptured(replay, loaded));
      const backlog = (await loggedTables(ctx.store)).reduce((sum, t) => sum + t.backlog, 0);
      if (backlog <= ctx.task.maxFinalizeBacklog) return;
      ctx.out.line(`finalization: ${backlog} changes wait for replay, more than the bound of ${ctx.task.maxFinalizeBacklog} (--max-finalize-backlog); replaying on before the swap locks the tables`);
    }
  } finally {
    await session.close();
  }
}

async function runCleanups(
  ctx: CommandContext,
  loaded: readonly LoadedMigration[],
  onCurrent: (ref: MigrationRef) => void,
): Promise<void> {
  const session = await ctx.store.openSession({ verbose: ctx.task.verbose, log: (line) => ctx.out.line(line) });
  try {
    for (const migration of loaded) {
      onCurrent(migration);
      if (migration.migration.cleanup === undefined) continue;
      await fence(ctx, `the cleanup of ${migration.name}`);
      await runMigrationStep("cleanup", migration.name, () => migration.migration.cleanup!(session.db));
      ctx.out.detail(`finalization ${migration.name}: cleanup done`);
    }
  } finally {
    await session.close();
  }
}
