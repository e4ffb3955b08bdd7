import { performance } from "node:perf_hooks";
import { MigrationState } from "../core/states.ts";
import { type AlterStep, describeStep } from "../migrations/alter-steps.ts";
import { streamsCopy } from "../migrations/table-route.ts";
import { columnExpressionsOf, type LoadedMigration, type MigrationDb } from "../migrations/types.ts";
import type { ShadowSession } from "../stores/store.ts";
import { formatMs } from "./command-output.ts";
import { PrerequisiteRefusal, runMigrationStep } from "./error-text.ts";
import type { DeferredAlters } from "./deferred-alters.ts";
import { fence } from "./fence.ts";
import type { PassProgress } from "./progress-tracker.ts";
import { recordRun } from "./record-states.ts";
import { transformTable } from "./transform-table.ts";
import type { CommandContext } from "./types.ts";

/** Runs the steps of one migration on the shadow session, in the order of CONTRACT §7; records when it started and finished and the rows it moved. */
export async function migrateOne(
  ctx: CommandContext,
  session: ShadowSession,
  loaded: LoadedMigration,
  captured: ReadonlySet<string>,
  deferred: DeferredAlters,
): Promise<void> {
  const { migration, name } = loaded;
  const prefix = `migration ${name}`;
  const started = performance.now();
  await recordRun(ctx, loaded, MigrationState.MIGRATION_RUNNING, { startedAt: Date.now(), finishedAt: null, rowsMoved: 0 });
  ctx.out.detail(`${prefix}: started`);
  // Rows that reached the shadow per table: a copy, then a transform of the same rows, counts them once.
  const moved = new Map<string, number>();
  const count = (table: string, rows: number) => moved.set(table, Math.max(moved.get(table) ?? 0, rows));

  await fence(ctx, `${prefix}: checkPrerequisites`);
  const refusal = await runMigrationStep("checkPrerequisites", name, () => migration.checkPrerequisites?.(session.db));
  if (typeof refusal === "string" && refusal.length > 0) throw new PrerequisiteRefusal(refusal);

  const transforms = migration.transform ?? {};
  const alters = migration.alter ?? {};
  const passes = new Map(migration.tables.map((t) => [t, ctx.progress.pass(loaded.index, t)]));
  // Without dataDefinition a transformed table's rows keep their shape (or gain only declared columns), so the
  // copy and the transform become one pass (CONTRACT §7 allows the faster route when the result is the same).
  const streamed = new Map<string, AlterStep[]>();
  const altered = new Set<string>();
  // Tables whose columns declared steps change here, earlier migrations' deferred steps included.
  const reshaped = new Set(Object.keys(alters));
  await fence(ctx, `${prefix}: the shadow copies`);
  for (const table of migration.tables) {
    if ((await session.locate(table)) !== "origin") continue;
    const steps = [...deferred.take(table), ...(alters[table] ?? [])];
    altered.add(table);
    if (steps.length > 0) reshaped.add(table);
    if (streamsCopy(migration, table, steps)) {
      await session.createEmptyCopy(table);
      await applySteps(ctx, session, prefix, table, steps.filter((step) => "addColumn" in step));
      streamed.set(table, steps.filter((step) => !("addColumn" in step)));
      continue;
    }
    const copyStarted = performance.now();
    const copied = await session.copyToShadow(table);
    count(table, copied);
    ctx.out.detail(`${prefix}: copied table "${table}" (${copied} rows)`);
    ctx.out.detail(`${prefix}: copy of "${table}" took ${formatMs(performance.now() - copyStarted)}`);
    await applySteps(ctx, session, prefix, table, steps);
  }
  for (const [table, steps] of Object.entries(alters)) {
    if (altered.has(table)) continue;
    if ((await session.locate(table)) === "shadow") await applySteps(ctx, session, prefix, table, steps);
    else await deferred.add(session, prefix, table, steps);
  }
  for (const table of migration.tables) if (!(table in transforms)) passes.get(table)!.finish();

  await fence(ctx, `${prefix}: dataDefinition`);
  await step(ctx, name, "dataDefinition", migration.dataDefinition?.bind(migration), session.db);
  for (const table of migration.tables) {
    if (captured.has(table) && (migration.dataDefinition !== undefined || reshaped.has(table))) await checkReplayable(session, name, table);
  }
  for (const table of Object.keys(transforms)) {
    const pass = passes.get(table)!;
    const expressions = columnExpressionsOf(migration, table);
    const streamSteps = streamed.get(table);
    if (streamSteps !== undefined) {
      const copied = expressions ? await expressionStep(ctx, prefix, table, pass, () => session.fillFromOrigin(table, expressions)) : await transformTable(ctx, session, loaded, table, "stream", pass);
      count(table, copied);
      await session.completeCopy(table);
      await applySteps(ctx, session, prefix, table, streamSteps);
      ctx.out.detail(`${prefix}: copied table "${table}" (${copied} rows) through its transform`);
    } else {
      if ((await session.locate(table)) !== "shadow") {
        throw new Error(`The transform of table "${table}" has no table to work on: "${table}" does not exist after dataDefinition`);
      }
      count(table, expressions
        ? await expressionStep(ctx, prefix, table, pass, () => session.updateShadow(table, expressions))
        : await transformTable(ctx, session, loaded, table, "in-place", pass));
    }
    pass.finish();
  }
  await fence(ctx, `${prefix}: dataManipulation`);
  await step(ctx, name, "dataManipulation", migration.dataManipulation?.bind(migration), session.db);
  if (migration.dataDefinition !== undefined || migration.dataManipulation !== undefined) await countReceived(ctx, session, migration.tables);
  // A cancel recorded during the last step stops the run here, not after the next migration's first step.
  await fence(ctx, `${prefix}: the end of its steps`);

  // A table of `tables` that resolves to the origin now was dropped from the shadow by this migration; one
  // that exists nowhere is marked too, so finalize can tell "no table, as migrated" from "shadow copy lost".
  for (const table of migration.tables) {
    const location = await session.locate(table);
    if (location === "shadow") continue;
    await session.markDropped(table);
    if (location === "origin") ctx.out.detail(`${prefix}: dropped table "${table}"`);
  }
  const rowsMoved = [...moved.values()].reduce((sum, rows) => sum + rows, 0);
  await recordRun(ctx, loaded, MigrationState.MIGRATION_RUNNING, { finishedAt: Date.now(), rowsMoved });
  ctx.out.detail(`${prefix}: done`);
  ctx.out.detail(`${prefix}: took ${formatMs(performance.now() - started)}`);
}

async function applySteps(ctx: CommandContext, session: ShadowSession, prefix: string, table: string, steps: readonly AlterStep[]): Promise<void> {
  if (steps.length === 0) return;
  await session.alterShadow(table, steps);
  for (const step of steps) ctx.out.detail(`${prefix}: ${describeStep(step)} on the shadow copy of "${table}"`);
}

/** Rows that SQL steps put into `tables` count once they are there: each table's rows now, as `holds` of the progress. */
async function countReceived(ctx: CommandContext, session: ShadowSession, tables: readonly string[]): Promise<void> {
  for (const table of tables) if ((await session.locate(table)) === "shadow") ctx.progress.holds(table, await session.countRows(table));
}

/** Runs an SQL-expression transform statement, counting its rows into the table's progress. */
async function expressionStep(ctx: CommandContext, prefix: string, table: string, share: PassProgress, run: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const rows = await run();
  share.add(rows);
  ctx.out.detail(`${prefix}: SQL transform of "${table}" took ${formatMs(performance.now() - started)} (${rows} rows)`);
  return rows;
}

/** Runs one of the migration's functions, if it has it, and says how long it took. */
async function step(ctx: CommandContext, name: string, label: string, fn: ((db: MigrationDb) => unknown) | undefined, db: MigrationDb): Promise<void> {
  if (fn === undefined) return;
  const started = performance.now();
  await runMigrationStep(label, name, () => fn(db));
  ctx.out.detail(`migration ${name}: ${label} took ${formatMs(performance.now() - started)}`);
}

/**
 * A captured table's changes are replayed by column name, so a dataDefinition that both drops and adds
 * columns (a rename, say) would lose values of replayed rows: refused, with the way out.
 */
async function checkReplayable(session: ShadowSession, name: string, table: string): Promise<void> {
  if ((await session.locate(table)) !== "shadow") return;
  const { origin, shadow } = await session.columns(table);
  const dropped = origin.filter((c) => !shadow.some((s) => s.name === c.name)).map((c) => `"${c.name}"`);
  const added = shadow.filter((c) => !origin.some((o) => o.name === c.name)).map((c) => `"${c.name}"`);
  if (dropped.length === 0 || added.length === 0) return;
  throw new Error(
    `Table "${table}" stays writable while it migrates (its writes are captured and replayed by column name), but the schema changes of ${name} ` +
      `drops ${dropped.join(", ")} and adds ${added.join(", ")}: a renamed column would lose the values of replayed writes. ` +
      `Add writes: "protect" to the migration to keep "${table}" write-protected while it migrates instead`,
  );
}
