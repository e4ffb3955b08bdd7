import type { Bookkeeping } from "./bookkeeping.ts";
import type { PoolClient } from "./pg-pool.ts";
import { guardedTables, liftStatements } from "./protection.ts";
import { buildReplayPlan, type PgReplayPlan } from "./replay.ts";
import { droppedTables, type Schemas, userTables } from "./shadow-schema.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { noShadowCopy, unprotectedOrigin } from "../swap-refusals.ts";
import { inContext, type SwapStatement } from "./swap-batch.ts";
import { fingerprintQuery } from "./swap-fingerprint.ts";
import { type ForeignKeyPlan, planForeignKeys } from "./swap-foreign-keys.ts";
import { retirable, retireStatements } from "./swap-retire.ts";
import { disownStatements, restoreStatements, saveTableObjects } from "./swap-tables.ts";
import { createViewStatements, dropViewStatements, saveDependentViews } from "./swap-views.ts";
import { identityAlignments } from "./table-copy.ts";

/** The tables a swap touches: the shadow's tables, the drop marks, and both with the plan's tables, each once. */
export interface TouchedTables {
  /** Tables with a shadow copy. */
  shadowed: string[];
  /** Tables marked dropped. */
  dropped: string[];
  /** Both, with the plan's tables. */
  all: string[];
}

/** The finalize swap worked out from the catalog before its locks: what it locks, what it checks, the DDL it runs. */
export interface SwapDdl {
  /** The touched tables. */
  tables: TouchedTables;
  /** Origin oids of the touched tables that exist in the origin, by name: what the swap locks and replaces. */
  oids: Map<string, number>;
  /** The query hashing the catalog facts of this plan (see fingerprintQuery). */
  fingerprintSql: string;
  /** Its result when the plan was read (read first: a change during the planning shows as a mismatch). */
  fingerprint: string;
  /** Foreign keys into and out of the swapped tables, re-created NOT VALID and validated after the commit. */
  foreignKeys: ForeignKeyPlan[];
  /** Replay plans of the captured shadowed tables. */
  replayPlans: Map<string, PgReplayPlan>;
  /** The swap's statements after the replay, in order. */
  statements: SwapStatement[];
}

/**
 * Reads every catalog fact the swap needs and builds its statements, in the order the swap runs them: drop
 * the dependent views and the foreign keys into the old tables, detach their owned sequences, move identity
 * sequences up, retire (or drop) the old tables, move the shadow copies in, give them the old tables'
 * sequences, triggers and privileges, re-create the foreign keys NOT VALID and the views, lift the write
 * protection. Throws, changing nothing, when a table has neither a shadow copy nor a drop mark or an origin
 * table is unguarded. Call with the swap's search path (origin first) set: definitions print for it.
 */
export async function planSwap(client: PoolClient, schemas: Schemas, names: Bookkeeping, planned: readonly string[]): Promise<SwapDdl> {
  const tables = await touchedTables(client, schemas, planned);
  const fingerprintSql = fingerprintQuery(schemas, tables.all);
  const fingerprint = (await client.query<{ fingerprint: string }>(fingerprintSql)).rows[0]!.fingerprint;
  const oids = await originOids(client, schemas, tables.all);
  const guarded = await guardedTables(client, schemas.origin, [...oids.keys()]);
  for (const table of tables.all) {
    // Never drop an origin table, nor finalize without a table the migration created, just because its
    // shadow copy is missing (e.g. a dropped shadow schema): the migration leaves a copy or a drop mark.
    if (!tables.shadowed.includes(table) && !tables.dropped.includes(table)) throw new Error(noShadowCopy(table));
    if (oids.has(table) && !guarded.has(table)) throw new Error(unprotectedOrigin(table));
  }
  const views = await saveDependentViews(client, [...oids.values()]);
  const foreignKeys = await planForeignKeys(client, schemas, [...oids.values()]);
  const saved = [];
  for (const [table, oid] of oids) saved.push(await saveTableObjects(client, table, oid));
  const identities = [];
  for (const table of tables.shadowed) if (oids.has(table)) identities.push(...(await identityAlignments(client, schemas.origin, schemas.shadow, table)));
  const columns = await shadowColumns(client, schemas, tables.shadowed);
  const retire = await retirable(client, [...oids.values()]);
  const statements: SwapStatement[] = [
    ...dropViewStatements(views),
    ...foreignKeys.filter((k) => k.dropFirst).map((fk) => ({ sql: `ALTER TABLE ${fk.childNow} DROP CONSTRAINT ${quoteIdent(fk.name)}` })),
    ...saved.flatMap(disownStatements),
    ...identities.map((sql) => ({ sql })),
    ...(await retireStatements(client, schemas, oids, retire)),
    ...tables.shadowed.map((table) => ({ sql: `ALTER TABLE ${qualify(schemas.shadow, table)} SET SCHEMA ${quoteIdent(schemas.origin)}` })),
    ...saved.filter((s) => tables.shadowed.includes(s.table)).flatMap((s) => restoreStatements(schemas, s, columns.get(s.table) ?? new Set())),
    ...foreignKeys.map((fk) =>
      inContext(`ALTER TABLE ${fk.childAfter} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition} NOT VALID`, `Cannot re-create foreign key "${fk.name}" of table "${fk.child}" after the swap`),
    ),
    ...createViewStatements(views),
    ...(await liftStatements(client, schemas.origin, [...oids.keys()])).map((sql) => ({ sql })),
  ];
  return { tables, oids, fingerprintSql, fingerprint, foreignKeys, replayPlans: await replayPlans(client, schemas, names, tables.shadowed), statements };
}

async function touchedTables(client: PoolClient, schemas: Schemas, planned: readonly string[]): Promise<TouchedTables> {
  const shadowed = await userTables(client, schemas.shadow);
  const dropped = await droppedTables(client, schemas);
  return { shadowed, dropped, all: [...new Set([...shadowed, ...planned])] };
}

async function originOids(client: PoolClient, schemas: Schemas, tables: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ relname: string; oid: number }>(
    `SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
    [schemas.origin, tables],
  );
  return new Map(rows.map((r) => [r.relname, r.oid]));
}

async function shadowColumns(client: PoolClient, schemas: Schemas, tables: readonly string[]): Promise<Map<string, Set<string>>> {
  const { rows } = await client.query<{ relname: string; columns: string[] }>(
    `SELECT c.relname, array_agg(a.attname::text) AS columns FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped GROUP BY c.relname`,
    [schemas.shadow, tables],
  );
  return new Map(rows.map((r) => [r.relname, new Set(r.columns)]));
}

/** Replay plans of the shadowed tables whose origin captures writes (listed in the replay counters). */
async function replayPlans(client: PoolClient, schemas: Schemas, names: Bookkeeping, shadowed: readonly string[]): Promise<Map<string, PgReplayPlan>> {
  const { rows } = await client.query<{ tbl: string }>(`SELECT tbl FROM ${names.replayed} WHERE tbl = ANY($1::text[])`, [shadowed]);
  const plans = new Map<string, PgReplayPlan>();
  for (const { tbl } of rows) {
    // A copy without a primary key has no plan; replayRest builds it again, and fails as it should, only when changes wait.
    const plan = await buildReplayPlan(client, schemas, tbl, null).catch(() => null);
    if (plan !== null) plans.set(tbl, plan);
  }
  return plans;
}
