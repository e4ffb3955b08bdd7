import { MigrationState } from "../core/states.ts";
import type { LoadedMigration } from "../migrations/types.ts";
import type { MigrationRef } from "../runner/messages.ts";
import type { SwapResult } from "../stores/store.ts";
import { formatMs } from "./command-output.ts";
import { LeaseLostError } from "../stores/lease-lost.ts";
import { errorText } from "./error-text.ts";
import { fence } from "./fence.ts";
import { migrationsIn, recordsIn, setStates } from "./record-states.ts";
import type { CommandContext, PhaseResult } from "./types.ts";

/**
 * The finalize part: `cleanup` of each migrated migration on the shadow session, then the atomic swap,
 * which also sets the records `finalized` and ends the command (`ctx.finished`).
 */
export async function finalizePhase(ctx: CommandContext): Promise<PhaseResult> {
  const finalizing = await migrationsIn(ctx, [MigrationState.FINALIZATION_REQUIRED, MigrationState.FINALIZATION_RUNNING]);
  await setStates(ctx, finalizing, MigrationState.FINALIZATION_RUNNING);
  ctx.out.line("finalization started");
  let current: MigrationRef | null = null;
  try {
    const loaded: LoadedMigration[] = [];
    for (const ref of finalizing) {
      current = ref;
      loaded.push(await ctx.load(ref));
    }
    await runCleanups(ctx, loaded, (ref) => (current = ref));
    current = null;
    await ctx.out.flush();
    await ctx.progress.flush();
    let closing = "";
    await ctx.store.finalizeSwap({
      owner: ctx.task.owner,
      tables: [...new Set(loaded.flatMap((m) => m.migration.tables))],
      records: loaded.map((m) => ({ index: m.index, name: m.name, checksum: m.checksum, state: MigrationState.FINALIZED })),
      closingOutput: (summary) => (closing = closingLines(ctx, loaded, summary)),
    });
    // The swap stored these lines and ended the command; the listener still has to hear them.
    ctx.out.announce(closing);
    ctx.finished = true;
    return { exception: null, records: [], liftProtection: false };
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    const exception = errorText(error);
    ctx.out.line(current ? `finalization ${current.name} failed: ${exception}` : `finalization failed: ${exception}`);
    return { exception, records: recordsIn(finalizing, MigrationState.FINALIZATION_FAILED), liftProtection: true };
  }
}

function closingLines(ctx: CommandContext, loaded: readonly LoadedMigration[], summary: SwapResult): string {
  const lines = [
    ...summary.swapped.map((table) => `finalization: swapped in table "${table}"`),
    ...summary.dropped.map((table) => `finalization: dropped table "${table}"`),
    ...(ctx.task.verbose ? [`finalization: lock window ${formatMs(summary.lockWindowMs)}`] : []),
    ...loaded.map((m) => `finalization ${m.name}: finalized`),
    "finalization finished",
  ];
  return lines.map((line) => `${line}\n`).join("");
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
      await migration.migration.cleanup(session.db);
      ctx.out.line(`finalization ${migration.name}: cleanup done`);
    }
  } finally {
    await session.close();
  }
}
