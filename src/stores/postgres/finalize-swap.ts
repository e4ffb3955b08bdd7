import { performance } from "node:perf_hooks";
import type pg from "pg";
import type { SwapPlan, SwapResult } from "../store.ts";
import { type Bookkeeping, appendOutputRow, finishCommandRow, lockOwnedCommand, upsertMigrations } from "./bookkeeping.ts";
import { type LockPolicy, LockTimeoutError, lockPolicyWithin, withLockRetry } from "./lock-retry.ts";
import { describeHolders, lockHolders } from "./lock-holders.ts";
import { RETRY_FINALIZE_HINT, SwapLocksBusyError } from "../swap-locks-busy.ts";
import { LeaseLostError } from "../lease-lost.ts";
import { inTransaction, type PoolClient, withClient } from "./pg-pool.ts";
import { dropShadowSchema, retiredSchemaFor, type Schemas } from "./shadow-schema.ts";
import { replayRest } from "./replay.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { deferredSteps } from "../alter-sql.ts";
import { buildIndexesConcurrently, lockedStatements } from "./swap-alters.ts";
import { checkForeignKeyRows } from "./swap-foreign-keys.ts";
import { runBatch } from "./swap-batch.ts";
import { planSwap, type SwapDdl } from "./swap-plan.ts";
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
 * The finalize swap. Before any lock: checks the foreign keys against the rows, builds the declared indexes
 * of tables it does not replace CONCURRENTLY, and reads every catalog fact the swap needs into its complete
 * DDL (planSwap), and replays the changes logged meanwhile. Then ONE transaction locks the origin tables and checks, in the same round trip, that the
 * catalog facts are unchanged (else it plans again under the locks, as a view or trigger created meanwhile
 * needs); replays the changes of captured tables still logged; runs the DDL in one round trip (catalog
 * changes only: the old tables move into the retired schema, the shadow copies in; views, foreign keys,
 * triggers, privileges and sequences come over; the declared in-place steps apply); writes records and
 * closing output and ends the command. After the COMMIT: the foreign keys, re-created NOT VALID, are
 * validated without blocking the application, and the old tables are dropped. The lock window runs from
 * the LOCK request of the attempt that got the locks to the COMMIT's return.
 */
export async function finalizeSwapOn(target: SwapTarget, plan: SwapPlan): Promise<SwapResult> {
  const { pool, schemas, names } = target;
  await withClient(pool, (client) => client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(retiredSchemaFor(schemas.origin))} CASCADE`));
  let ddl = await planOn(target, plan);
  await withClient(pool, (client) => checkForeignKeyRows(client, ddl.foreignKeys));
  const steps = deferredSteps(plan.alters, new Set([...ddl.tables.shadowed, ...ddl.tables.dropped]));
  if (steps.early.length > 0) {
    await buildIndexesConcurrently(pool, schemas.origin, steps.early);
    ddl = await planOn(target, plan);
  }
  const locked = lockedStatements(schemas.origin, steps.locked);
  await catchUp(target, plan, ddl);
  let lockRequestedAt = 0;
  const policy = plan.lockWaitMs === undefined ? target.lockPolicy : lockPolicyWithin(plan.lockWaitMs);
  const swap = await withBusyLocksReported(target, plan, policy, () => withLockRetry(pool, policy, "Finalize", async (client) => {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schemas.origin)}`);
    if (!(await lockOwnedCommand(client, names, plan.owner))) throw new Error("The finalize lost its run lock; nothing was swapped");
    lockRequestedAt = performance.now();
    let facts = await lockAndCheck(client, target, ddl);
    if (facts.fingerprint !== ddl.fingerprint) {
      // The catalog changed since the plan (a view, trigger, grant or key created meanwhile): plan again under the locks.
      ddl = await planSwap(client, schemas, names, plan.tables);
      facts = await lockAndCheck(client, target, ddl);
    }
    const replayed = await replayRest(client, schemas, names, { ...facts, shadowed: ddl.tables.shadowed, plans: ddl.replayPlans }, plan.replayMapper);
    await runBatch(client, [...ddl.statements, ...locked]);
    const swapped = [...ddl.tables.shadowed];
    const dropped = [...ddl.oids.keys()].filter((t) => !ddl.tables.shadowed.includes(t));
    await upsertMigrations(client, names, plan.records.map((r) => ({ ...r, finalizedAt: Date.now() })));
    await appendOutputRow(client, names, plan.owner, plan.closingOutput({ swapped, dropped, replayed, lockWindowMs: performance.now() - lockRequestedAt }));
    await finishCommandRow(client, names, plan.owner, null);
    return { swapped, dropped, replayed, foreignKeys: ddl.foreignKeys };
  }));
  const lockWindowMs = performance.now() - lockRequestedAt;
  await plan.committed?.({ swapped: swap.swapped, dropped: swap.dropped, replayed: swap.replayed, lockWindowMs });
  await validateForeignKeys(pool, names, plan.owner, swap.foreignKeys);
  await withClient(pool, (client) => dropShadowSchema(client, schemas)).catch(() => {
    // Committed already; leftovers (shadow and retired tables) are dropped when the next command starts.
  });
  return { swapped: swap.swapped, dropped: swap.dropped, replayed: swap.replayed, lockWindowMs };
}

/**
 * Replays, outside the locks, the changes the application logged while the swap planned and checked the
 * foreign keys (seconds on a big table), so that only what it writes from here on waits for replay under them.
 */
async function catchUp(target: SwapTarget, plan: SwapPlan, ddl: SwapDdl): Promise<void> {
  if (ddl.replayPlans.size === 0) return;
  await withClient(target.pool, (client) =>
    inTransaction(client, async () => {
      if (!(await lockOwnedCommand(client, target.names, plan.owner, "KEY SHARE"))) throw new LeaseLostError(plan.owner, "replaying the captured changes");
      const { rows } = await client.query<{ tbl: string }>(`SELECT DISTINCT tbl FROM ${target.names.changes}`);
      const tables = { logged: rows.map((r) => r.tbl), shadowed: ddl.tables.shadowed, plans: ddl.replayPlans };
      await replayRest(client, target.schemas, target.names, tables, plan.replayMapper);
    }),
  );
}

/** Plans the swap on a pooled client, in a transaction with the swap's search path. */
function planOn(target: SwapTarget, plan: SwapPlan): Promise<SwapDdl> {
  return withClient(target.pool, (client) =>
    inTransaction(client, async () => {
      await client.query(`SET LOCAL search_path TO ${quoteIdent(target.schemas.origin)}`);
      return planSwap(client, target.schemas, target.names, plan.tables);
    }),
  );
}

/**
 * One round trip: locks the plan's origin tables (ACCESS EXCLUSIVE), reads the catalog fingerprint and the
 * tables with logged changes.
 */
async function lockAndCheck(client: PoolClient, target: SwapTarget, ddl: SwapDdl): Promise<{ fingerprint: string; logged: string[] }> {
  const lock = ddl.oids.size > 0 ? [`LOCK TABLE ${[...ddl.oids.keys()].map((t) => qualify(target.schemas.origin, t)).join(", ")} IN ACCESS EXCLUSIVE MODE`] : [];
  const results = (await client.query([...lock, ddl.fingerprintSql, `SELECT DISTINCT tbl FROM ${target.names.changes}`].join(";\n"))) as unknown as pg.QueryResult[];
  const [fingerprint, logged] = results.slice(-2) as [pg.QueryResult<{ fingerprint: string }>, pg.QueryResult<{ tbl: string }>];
  return { fingerprint: fingerprint.rows[0]!.fingerprint, logged: logged.rows.map((r) => r.tbl) };
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
