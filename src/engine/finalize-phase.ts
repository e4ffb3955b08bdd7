import { MigrationState } from "../core/states.ts";
import type { LoadedMigration } from "../migrations/types.ts";
import type { MigrationRef } from "../runner/messages.ts";
import { formatMs } from "./command-output.ts";
import { errorText } from "./error-text.ts";
import { migrationsIn, setStates } from "./record-states.ts";
import type { CommandContext } from "./types.ts";

/**
 * The finalize part: `cleanup` of each migrated migration on the shadow session, then the atomic swap,
 * which also sets the records `finalized`. Returns null on success or the exception text.
 */
export async function finalizePhase(ctx: CommandContext): Promise<string | null> {
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
    const output = loaded.map((m) => `finalization ${m.name}: finalized\n`).join("");
    const result = await ctx.store.finalizeSwap({
      owner: ctx.task.owner,
      tables: [...new Set(loaded.flatMap((m) => m.migration.tables))],
      records: loaded.map((m) => ({ index: m.index, name: m.name, checksum: m.checksum, state: MigrationState.FINALIZED })),
      output,
    });
    ctx.out.announce(output);
    for (const table of result.swapped) ctx.out.line(`finalization: swapped in table "${table}"`);
    for (const table of result.dropped) ctx.out.line(`finalization: dropped table "${table}"`);
    ctx.out.detail(`finalization: lock window ${formatMs(result.lockWindowMs)}`);
    ctx.out.line("finalization finished");
    return null;
  } catch (error) {
    const exception = errorText(error);
    ctx.out.line(current ? `finalization ${current.name} failed: ${exception}` : `finalization failed: ${exception}`);
    await setStates(ctx, finalizing, MigrationState.FINALIZATION_FAILED);
    await ctx.store.unprotectAll();
    return exception;
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
      await migration.migration.cleanup(session.db);
      ctx.out.line(`finalization ${migration.name}: cleanup done`);
    }
  } finally {
    await session.close();
  }
}
