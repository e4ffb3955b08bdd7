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
