import { performance } from "node:perf_hooks";
import type { LoadedMigration } from "../migrations/types.ts";
import type { ShadowSession } from "../stores/store.ts";
import { formatMs } from "./command-output.ts";
import { PrerequisiteRefusal } from "./error-text.ts";
import { fence } from "./fence.ts";
import { transformTable } from "./transform-table.ts";
import type { CommandContext } from "./types.ts";

/** How many rows each table of a migration is expected to move (computed before the run). */
export type TableBudgets = ReadonlyMap<string, number>;

/** Runs the steps of one migration on the shadow session, in the order of CONTRACT §7. */
export async function migrateOne(
  ctx: CommandContext,
  session: ShadowSession,
  loaded: LoadedMigration,
  budgets: TableBudgets,
  captured: ReadonlySet<string>,
): Promise<void> {
  const { migration, name } = loaded;
  const prefix = `migration ${name}`;
  const started = performance.now();
  ctx.out.detail(`${prefix}: started`);

  await fence(ctx, `${prefix}: checkPrerequisites`);
  const refusal = await migration.checkPrerequisites?.(session.db);
  if (typeof refusal === "string" && refusal.length > 0) throw new PrerequisiteRefusal(refusal);

  const transforms = migration.transform ?? {};
  const shares = new Map(migration.tables.map((t) => [t, ctx.progress.share(t, budgets.get(t) ?? 0)]));
  // Without dataDefinition a transformed table's rows keep their shape, so the copy and the transform
  // become one pass (CONTRACT §7 allows the faster route when the result is the same).
  const streamed = new Set<string>();
  await fence(ctx, `${prefix}: the shadow copies`);
  for (const table of migration.tables) {
    if ((await session.locate(table)) !== "origin") continue;
    if (table in transforms && migration.dataDefinition === undefined) {
      await session.createEmptyCopy(table);
      streamed.add(table);
      continue;
    }
    const copyStarted = performance.now();
    const copied = await session.copyToShadow(table);
    ctx.out.detail(`${prefix}: copied table "${table}" (${copied} rows)`);
    ctx.out.detail(`${prefix}: copy of "${table}" took ${formatMs(performance.now() - copyStarted)}`);
  }
  for (const table of migration.tables) if (!(table in transforms)) shares.get(table)!.finish();

  await fence(ctx, `${prefix}: dataDefinition`);
  await step(ctx, prefix, "dataDefinition", () => migration.dataDefinition?.(session.db));
  if (migration.dataDefinition !== undefined) {
    for (const table of migration.tables) if (captured.has(table)) await checkReplayable(session, name, table);
  }
  for (const table of Object.keys(transforms)) {
    const share = shares.get(table)!;
    if (streamed.has(table)) {
      const copied = await transformTable(ctx, session, loaded, table, "stream", share);
      await session.completeCopy(table);
      ctx.out.detail(`${prefix}: copied table "${table}" (${copied} rows) through its transform`);
    } else {
      if ((await session.locate(table)) !== "shadow") {
        throw new Error(`The transform of table "${table}" has no table to work on: "${table}" does not exist after dataDefinition`);
      }
      await transformTable(ctx, session, loaded, table, "in-place", share);
    }
    share.finish();
  }
  await fence(ctx, `${prefix}: dataManipulation`);
  await step(ctx, prefix, "dataManipulation", () => migration.dataManipulation?.(session.db));

  // A table of `tables` that resolves to the origin now was dropped from the shadow by this migration; one
  // that exists nowhere is marked too, so finalize can tell "no table, as migrated" from "shadow copy lost".
  for (const table of migration.tables) {
    const location = await session.locate(table);
    if (location === "shadow") continue;
    await session.markDropped(table);
    if (location === "origin") ctx.out.detail(`${prefix}: dropped table "${table}"`);
  }
  ctx.out.detail(`${prefix}: done`);
  ctx.out.detail(`${prefix}: took ${formatMs(performance.now() - started)}`);
}

async function step(ctx: CommandContext, prefix: string, label: string, run: () => unknown): Promise<void> {
  const started = performance.now();
  const result = run();
  if (result === undefined) return;
  await result;
  ctx.out.detail(`${prefix}: ${label} took ${formatMs(performance.now() - started)}`);
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
    `Table "${table}" stays writable while it migrates (its writes are captured and replayed by column name), but the dataDefinition of ${name} ` +
      `drops ${dropped.join(", ")} and adds ${added.join(", ")}: a renamed column would lose the values of replayed writes. ` +
      `Add writes: "protect" to the migration to keep "${table}" write-protected while it migrates instead`,
  );
}
