import { MigrationState } from "../core/states.ts";
import type { LoadedMigration } from "../migrations/types.ts";
import type { MigrationRef } from "./messages.ts";
import type { ShadowSession } from "../stores/store.ts";
import { LeaseLostError } from "../stores/lease-lost.ts";
import { DeferredAlters } from "./deferred-alters.ts";
import { errorText } from "./error-text.ts";
import { migrateOne } from "./migrate-one.ts";
import { progressPasses } from "./progress-passes.ts";
import type { TablePlan } from "./progress-tracker.ts";
import { loggedTables, replayCaptured, reportReplayed } from "./replay-captured.ts";
import { protectionMessage } from "../core/protection-message.ts";
import { migrationsIn, pendingMigrations, recordsIn } from "./record-states.ts";
import type { CommandContext, PhaseResult } from "./types.ts";

/**
 * The migrate part of `migrate` and `finalize`: runs every pending migration in index order on the
 * shadow copies. On success the result's records are the migrated ones in `finalization_required`.
 */
export async function migratePhase(ctx: CommandContext): Promise<PhaseResult> {
  const pending = await pendingMigrations(ctx);
  const continuing = await migrationsIn(ctx, [MigrationState.FINALIZATION_REQUIRED]);
  // Without migrated-but-unfinalized work, whatever the shadow holds is a stale leftover.
  if (continuing.length === 0) await ctx.store.clearShadow(ctx.task.owner);
  const session = await ctx.store.openSession({ verbose: ctx.task.verbose, log: (line) => ctx.out.line(line) });
  const replay = { store: ctx.store, transformer: ctx.transformer, session, owner: ctx.task.owner };
  let current: MigrationRef | null = null;
  try {
    const earlier: LoadedMigration[] = [];
    for (const ref of continuing) earlier.push(await ctx.load(ref));
    // What the application wrote since the earlier migrate goes in before the new migrations change the shadow.
    if (earlier.length > 0) reportReplayed(ctx, "before migrating", await replayCaptured(replay, earlier));
    const deferred = await DeferredAlters.of(ctx, session, earlier);
    const captured = new Set((await loggedTables(ctx.store)).filter((g) => g.mode === "captured").map((g) => g.table));
    const loaded: LoadedMigration[] = [];
    for (const ref of pending) {
      current = ref;
      loaded.push(await ctx.load(ref));
    }
    current = null;
    ctx.progress.start(await tablePlans(session, loaded));
    for (const migration of loaded) {
      current = migration;
      await migrateOne(ctx, session, migration, captured, deferred);
    }
    current = null;
    reportReplayed(ctx, "while migrating", await replayCaptured(replay, [...earlier, ...loaded]));
    // A failure here is the migrate's as a whole; the last migration carries it.
    current = loaded.at(-1) ?? null;
    await checkSwapPrerequisites(ctx, session, [...earlier, ...loaded]);
    current = null;
    // The claim protected the other tables already; the message now says what they wait for.
    const lastMigrationOf = new Map(loaded.flatMap((m) => m.migration.tables.map((table) => [table, m.name] as const)));
    for (const [table, name] of lastMigrationOf) {
      if (captured.has(table)) continue;
      await ctx.store.protect(ctx.task.owner, table, protectionMessage(table, name, "migrated, waiting for finalize"));
    }
    ctx.progress.complete();
    ctx.out.line("migration finished");
    return { exception: null, records: recordsIn(loaded, MigrationState.FINALIZATION_REQUIRED), liftProtection: false };
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    const exception = errorText(error);
    ctx.out.line(current ? `migration ${current.name} failed: ${exception}` : `migration failed: ${exception}`);
    const others = pending.filter((ref) => ref.index !== current?.index);
    return {
      exception,
      records: [...recordsIn(current ? [current] : [], MigrationState.MIGRATION_FAILED), ...recordsIn(others, MigrationState.MIGRATION_REQUIRED)],
      liftProtection: true,
    };
  } finally {
    await session.close();
  }
}

/**
 * Finds now, not in the maintenance window, what finalize's swap would trip over (views, triggers and foreign
 * keys that the new shape breaks): throws with every problem, so the migrate fails with its originals untouched.
 */
async function checkSwapPrerequisites(ctx: CommandContext, session: ShadowSession, chain: readonly LoadedMigration[]): Promise<void> {
  const changes = new Map(chain.flatMap((m) => m.migration.tables.map((table) => [table, m.name] as const)));
  const problems = await session.checkSwapPrerequisites(changes);
  if (problems.length > 0) {
    throw new Error(`Finalize could not swap the migrated tables in: ${problems.join("; ")}. Change the migration, or drop or redefine what it breaks in the release first; then reset and migrate again`);
  }
  ctx.out.detail("migration: finalize prerequisites ok (the views, triggers and foreign keys over the migrated tables fit their new shape)");
}

/** Each table of the pending migrations once, with the rows it holds now (shadow copy if any, else origin) and its passes. */
async function tablePlans(session: ShadowSession, loaded: readonly LoadedMigration[]): Promise<Map<string, TablePlan>> {
  const plans = new Map<string, TablePlan>();
  for (const [table, passes] of progressPasses(loaded)) plans.set(table, { rows: await session.countRows(table), passes });
  return plans;
}
