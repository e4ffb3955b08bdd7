import { performance } from "node:perf_hooks";
import type pg from "pg";
import type { SwapPlan, SwapResult } from "../store.ts";
import { type Bookkeeping, appendOutputRow, finishCommandRow, lockOwnedCommand, upsertMigrations } from "./bookkeeping.ts";
import { type LockPolicy, LockTimeoutError, lockPolicyWithin, rethrowWithContext, withLockRetry } from "./lock-retry.ts";
import { describeHolders, lockHolders } from "./lock-holders.ts";
import { RETRY_FINALIZE_HINT, SwapLocksBusyError } from "../swap-locks-busy.ts";
import { type PoolClient, withClient } from "./pg-pool.ts";
import { noShadowCopy, unprotectedOrigin } from "../swap-refusals.ts";
import { isGuarded, liftAllProtection } from "./protection.ts";
import { droppedTables, dropShadowSchema, type Schemas, userTables } from "./shadow-schema.ts";
import { replayRest } from "./replay.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { deferredSteps } from "../alter-sql.ts";
import { applyLockedSteps, buildIndexesConcurrently } from "./swap-alters.ts";
import { alignIdentitySequences } from "./table-copy.ts";
import { type ForeignKeyPlan, checkForeignKeyRows, planForeignKeys } from "./swap-foreign-keys.ts";
import { dropViews, recreateViews, saveDependentViews } from "./swap-views.ts";
import { disownSequences, restoreTableObjects, saveTableObjects } from "./swap-tables.ts";
import { validateForeignKeys } from "./validate-keys.ts";

/** Where the swap works: the pool, the bookkeeping and schema names, and how it waits for locks. */
export interface SwapTarget {
  /** The store's pool. */
  pool: pg.Pool;
  /** Bookkeeping table names. */
  names: Bookkeeping;
  /** Origin and shadow schema. */
  schemas: Schemas;
  /** lock_timeout and retries. */
  lockPolicy: LockPolicy;
}

/**
 * The finalize swap: checks the foreign keys against the rows first (no locks), then ONE transaction
 * locks the origin tables, replays the changes of captured tables still logged, swaps the shadow copies in by catalog changes only (drop, SET SCHEMA; no row
 * copies, so the lock window does not grow with the tables), carries views, foreign keys, triggers,
 * privileges and sequences over, applies the declared in-place steps of tables it does not replace (their
 * indexes are built CONCURRENTLY before it), writes records and closing output and ends the command. Foreign keys
 * come back NOT VALID and are validated after the commit, without blocking the application.
 */
export async function finalizeSwapOn(target: SwapTarget, plan: SwapPlan): Promise<SwapResult> {
  const steps = await withClient(target.pool, async (client) => {
    const touched = await touchedTables(client, target.schemas, plan.tables);
    const oids = await originOids(client, target.schemas, touched);
    await checkForeignKeyRows(client, await planForeignKeys(client, target.schemas, [...oids.values()]));
    return deferredSteps(plan.alters, new Set([...touched.shadowed, ...touched.dropped]));
  });
  await buildIndexesConcurrently(target.pool, target.schemas.origin, steps.early);
  let lockedAt = 0;
  const policy = plan.lockWaitMs === undefined ? target.lockPolicy : lockPolicyWithin(plan.lockWaitMs);
  const swap = await withBusyLocksReported(target, plan, policy, () => withLockRetry(target.pool, policy, "Finalize", async (client) => {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(target.schemas.origin)}`);
    if (!(await lockOwnedCommand(client, target.names, plan.owner))) throw new Error("The finalize lost its run lock; nothing was swapped");
    const tables = await touchedTables(client, target.schemas, plan.tables);
    const oids = await originOids(client, target.schemas, tables);
    if (oids.size > 0) await client.query(`LOCK TABLE ${[...oids.keys()].map((t) => qualify(target.schemas.origin, t)).join(", ")} IN ACCESS EXCLUSIVE MODE`);
    lockedAt = performance.now();
    const replayed = await replayRest(client, target.schemas, target.names, tables.shadowed, plan.replayMapper);
    const result = { ...(await swapTables(client, target, tables, oids)), replayed };
    await applyLockedSteps(client, target.schemas.origin, steps.locked);
    await upsertMigrations(client, target.names, plan.records.map((r) => ({ ...r, finalizedAt: Date.now() })));
    const output = plan.closingOutput({ swapped: result.swapped, dropped: result.dropped, replayed, lockWindowMs: performance.now() - lockedAt });
    await appendOutputRow(client, target.names, plan.owner, output);
    await finishCommandRow(client, target.names, plan.owner, null);
    return result;
  }));
  const lockWindowMs = performance.now() - lockedAt;
  await validateForeignKeys(target.pool, target.names, plan.owner, swap.foreignKeys);
  await withClient(target.pool, (client) => dropShadowSchema(client, target.schemas)).catch(() => {
    // Committed already; leftovers are dropped when the next migrate starts.
  });
  return { swapped: swap.swapped, dropped: swap.dropped, replayed: swap.replayed, lockWindowMs };
}

/**
 * Runs the swap transaction; when every attempt timed out waiting for a lock (it rolled back, nothing
 * changed), a SwapLocksBusyError saying who holds the locks now, so the engine keeps finalization_required.
 */
async function withBusyLocksReported<T>(target: SwapTarget, plan: SwapPlan, policy: LockPolicy, swap: () => Promise<T>): Promise<T> {
  try {
    return await swap();
  } catch (error) {
    if (!(error instanceof LockTimeoutError)) throw error;
    const holders = await withClient(target.pool, (client) => lockHolders(client, target.schemas.origin, plan.tables)).catch(() => null);
    const who = holders === null ? "who holds them could not be read" : describeHolders(holders);
    throw new SwapLocksBusyError(
      `Finalize could not lock its tables in ${policy.attempts} attempt(s) of ${policy.lockTimeoutMs} ms: ${who}; ${RETRY_FINALIZE_HINT}`,
      { cause: error },
    );
  }
}

/** The shadow's tables, the drop marks, and both with the plan's tables, each once. */
async function touchedTables(client: PoolClient, schemas: Schemas, planned: readonly string[]): Promise<{ shadowed: string[]; dropped: string[]; all: string[] }> {
  const shadowed = await userTables(client, schemas.shadow);
  const dropped = await droppedTables(client, schemas);
  const all = [...new Set([...shadowed, ...planned])];
  return { shadowed, dropped, all };
}

/** Origin oids of those tables that exist in the origin, by name. */
async function originOids(client: PoolClient, schemas: Schemas, tables: { all: string[] }): Promise<Map<string, number>> {
  const { rows } = await client.query<{ relname: string; oid: number }>(
    `SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    [schemas.origin, tables.all],
  );
  return new Map(rows.map((r) => [r.relname, r.oid]));
}

async function swapTables(
  client: PoolClient,
  target: SwapTarget,
  tables: { shadowed: string[]; dropped: string[]; all: string[] },
  oids: Map<string, number>,
): Promise<{ swapped: string[]; dropped: string[]; foreignKeys: ForeignKeyPlan[] }> {
  const { schemas } = target;
  for (const table of tables.all) {
    // Never drop an origin table, nor finalize without a table the migration created, just because its
    // shadow copy is missing (e.g. a dropped shadow schema): the migration leaves a copy or a drop mark.
    if (!tables.shadowed.includes(table) && !tables.dropped.includes(table)) throw new Error(noShadowCopy(table));
    if (oids.has(table) && !(await isGuarded(client, schemas.origin, table))) throw new Error(unprotectedOrigin(table));
  }
  const views = await saveDependentViews(client, [...oids.values()]);
  const foreignKeys = await planForeignKeys(client, schemas, [...oids.values()]);
  const saved = [];
  for (const [table, oid] of oids) saved.push(await saveTableObjects(client, table, oid));
  await dropViews(client, views);
  for (const fk of foreignKeys.filter((k) => k.dropFirst)) await client.query(`ALTER TABLE ${fk.childNow} DROP CONSTRAINT ${quoteIdent(fk.name)}`);
  for (const table of saved) await disownSequences(client, table);
  for (const table of tables.shadowed) if (oids.has(table)) await alignIdentitySequences(client, schemas.origin, schemas.shadow, table);
  // One statement, so keys among the dropped tables do not stand in the way.
  if (oids.size > 0) {
    await rethrowWithContext("Cannot drop the old tables", () =>
      client.query(`DROP TABLE ${[...oids.keys()].map((t) => qualify(schemas.origin, t)).join(", ")}`),
    );
  }
  for (const table of tables.shadowed) await client.query(`ALTER TABLE ${qualify(schemas.shadow, table)} SET SCHEMA ${quoteIdent(schemas.origin)}`);
  for (const table of saved) if (tables.shadowed.includes(table.table)) await restoreTableObjects(client, schemas, table);
  for (const fk of foreignKeys) {
    await rethrowWithContext(`Cannot re-create foreign key "${fk.name}" of table "${fk.child}" after the swap`, () =>
      client.query(`ALTER TABLE ${fk.childAfter} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition} NOT VALID`),
    );
  }
  await recreateViews(client, views);
  await liftAllProtection(client, schemas.origin);
  const dropped = [...oids.keys()].filter((t) => !tables.shadowed.includes(t));
  return { swapped: [...tables.shadowed], dropped, foreignKeys };
}
