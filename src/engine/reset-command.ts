import { MigrationState } from "../core/states.ts";
import type { CommandContext, PhaseResult } from "./types.ts";

/** `reset`: drops the shadow work, lifts the write protection, and puts every unfinalized record back to required, without the facts of its run. */
export async function resetCommand(ctx: CommandContext): Promise<PhaseResult> {
  await ctx.store.clearShadow(ctx.task.owner);
  ctx.out.detail("reset: shadow copies dropped");
  ctx.out.detail("reset: the write protection is lifted as the reset ends");
  const { migrations } = await ctx.store.snapshot();
  const unfinalized = migrations.filter((m) => m.state !== MigrationState.FINALIZED);
  for (const m of unfinalized) ctx.out.detail(`reset ${m.name}: ${m.state} → migration_required`);
  ctx.out.line("reset finished");
  // Their runs are thrown away with the shadow copies: the times and rows of a next migrate start afresh.
  const records = unfinalized.map((m) => ({ ...m, state: MigrationState.MIGRATION_REQUIRED, startedAt: null, finishedAt: null, rowsMoved: 0, lockWindowMs: null }));
  return { exception: null, records, liftProtection: true };
}
