import pg from "pg";
import type { Row } from "../../migrations/types.ts";
import { LeaseLostError } from "../lease-lost.ts";
import { ReplayYielded } from "../replay-yielded.ts";
import type { ReplayPlan, RowMapper } from "../store.ts";
import { type Bookkeeping, bookkeepingIn } from "./bookkeeping.ts";
import { selectByCopy } from "./copy-read.ts";
import { copyRows } from "./copy-rows.ts";
import type { PoolClient } from "./pg-pool.ts";
import type { Schemas } from "./shadow-schema.ts";
import { workerConnections } from "./worker-connections.ts";
import { qualify, quoteIdent, quoteLiteral } from "./sql.ts";
import { type PgShape, readShape } from "./table-shape.ts";

/** A PostgreSQL replay plan: where a worker connects, the two tables and the bookkeeping names. */
export interface PgReplayPlan extends ReplayPlan {
  /** Always `"postgres"`. */
  dialect: "postgres";
  /** The shadow table's shape (its schema is the shadow schema). */
  shape: PgShape;
  /** Connection string of the store. */
  url: string;
  /** The origin schema: the changes come from its table of the same name. */
  originSchema: string;
  /** Writable columns of both the origin and the shadow table: what a replayed row takes from the origin. */
  keptColumns: string[];
  /** Writable shadow columns of JSON type. */
  jsonColumns: string[];
}

/** Changes one batch takes from the log unless configured. */
export const REPLAY_BATCH = 2_000;

/** Builds the replay plan of a captured table from the current shapes of its origin and shadow tables (`url` for the workers). */
export async function buildReplayPlan(client: PoolClient, schemas: Schemas, table: string, owner: string | null, url = ""): Promise<PgReplayPlan> {
  const shape = await readShape(client, schemas.shadow, table);
  if (shape.keyColumns.length === 0) throw new Error(`The shadow copy of captured table "${table}" has no primary key to replay changes by`);
  const origin = await readShape(client, schemas.origin, table);
  const { rows } = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND coalesce(NULLIF((SELECT t.typbasetype FROM pg_type t WHERE t.oid = a.atttypid), 0), a.atttypid) IN ('json'::regtype, 'jsonb'::regtype)`,
    [qualify(schemas.shadow, table)],
  );
  return {
    dialect: "postgres", shape, owner, batch: REPLAY_BATCH, url, originSchema: schemas.origin,
    keptColumns: shape.writableColumns.filter((c) => origin.writableColumns.includes(c)),
    jsonColumns: rows.map((r) => r.attname),
  };
}

/**
 * For the finalize swap, in the caller's transaction: replays the changes logged for the `logged` tables
 * that are `shadowed`, through the mapper of each table's shape, with the replay plans read before the
 * locks (`plans`; built now for a table without one); returns how many. A batch smaller than the plan's ends
 * a table's replay: under the swap's locks (the origin tables locked, the command row held) nothing new can
 * be logged, so that is every change; before them, what the application logs meanwhile waits for the next call.
 */
export async function replayRest(
  client: PoolClient, schemas: Schemas, names: Bookkeeping,
  tables: { logged: readonly string[]; shadowed: readonly string[]; plans: ReadonlyMap<string, PgReplayPlan> },
  mapperOf: (shape: PgShape) => RowMapper,
): Promise<number> {
  let replayed = 0;
  for (const tbl of tables.logged) {
    if (!tables.shadowed.includes(tbl)) continue;
    const plan = tables.plans.get(tbl) ?? (await buildReplayPlan(client, schemas, tbl, null));
    const map = mapperOf(plan.shape);
    for (let n = plan.batch; n === plan.batch; replayed += n) n = await replayChanges(client, plan, names, map, async () => {});
  }
  return replayed;
}

/** Worker-thread side: one batch in one transaction on this thread's own connection; see StoreDriver.replayBatch. */
export function replayBatchPostgres(plan: PgReplayPlan, map: RowMapper): Promise<number> {
  return workerConnections.use(plan.url, async (client) => {
    await client.query("BEGIN");
    try {
      const names = bookkeepingIn(plan.originSchema);
      // Between commands the fence comes first: a finalize's swap (FOR UPDATE on the command row) then waits
      // for this batch instead of meeting it under its own locks.
      if (plan.owner === null && !(await lockIdleCommand(client, names))) throw new ReplayYielded();
      const changes = await replayChanges(client as unknown as PoolClient, plan, names, map, async () => {
        if (plan.owner !== null && !(await lockOwned(client, names, plan.owner))) throw new LeaseLostError(plan.owner, `replaying changes of "${plan.shape.table}"`);
      });
      await client.query("COMMIT");
      return changes;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  });
}

/**
 * Replays up to `plan.batch` logged changes of the plan's table into its shadow copy, inside the caller's
 * transaction; returns how many it consumed (0: none logged). One replayer per table at a time: the shadow
 * table's SHARE ROW EXCLUSIVE lock orders the batches, and each reads the origin only after it holds it,
 * so a later batch never writes an older state. Each changed key is replayed once, from the origin's row
 * now: the row goes in with the columns both tables have (defaults fill the others, the database casts
 * changed types), then comes back through `map` (the pending transforms) and replaces itself; a key whose
 * origin row is gone, or whose transform returns null, is deleted. `fence` runs after the transform,
 * before anything can commit.
 */
export async function replayChanges(client: PoolClient, plan: PgReplayPlan, names: Bookkeeping, map: RowMapper, fence: () => Promise<void>): Promise<number> {
  const { shape } = plan;
  const shadow = qualify(shape.schema, shape.table);
  await client.query(`LOCK TABLE ${shadow} IN SHARE ROW EXCLUSIVE MODE`);
  const { rows: logged } = await client.query<{ seq: string; key: string[] }>(
    `SELECT seq, key FROM ${names.changes} WHERE tbl = $1 ORDER BY seq LIMIT $2`,
    [shape.table, plan.batch],
  );
  if (logged.length === 0) return 0;
  const keys = [...new Map(logged.map((c) => [JSON.stringify(c.key), c.key])).values()];
  const columns = shape.keyColumns.map((_, i) => keys.map((key) => key[i]!));
  const match = keyMatch(shape, columns.map((_, i) => `$${i + 1}`));
  const kept = plan.keptColumns.map(quoteIdent).join(", ");
  await client.query(`DELETE FROM ${shadow} t WHERE ${match}`, columns);
  if (kept !== "") {
    await client.query(
      `INSERT INTO ${shadow} (${kept}) OVERRIDING SYSTEM VALUE SELECT ${kept} FROM ${qualify(plan.originSchema, shape.table)} t WHERE ${match}`,
      columns,
    );
  }
  // COPY takes no parameters: the keys go in as literals, and the rows come back decoded as the bulk pass reads them.
  const literal = keyMatch(shape, columns.map((values) => `ARRAY[${values.map(quoteLiteral).join(", ")}]`));
  const order = shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  const rows: Row[] = await selectByCopy(client as unknown as pg.Client, `SELECT t.* FROM ${shadow} t WHERE ${literal} ORDER BY ${order}`);
  const results = await map(rows);
  await fence();
  await client.query(`DELETE FROM ${shadow} t WHERE ${match}`, columns);
  await copyRows(client as unknown as pg.Client, { ...shape, jsonColumns: plan.jsonColumns }, results);
  await client.query(`DELETE FROM ${names.changes} WHERE seq = ANY($1::bigint[])`, [logged.map((c) => c.seq)]);
  await client.query(`UPDATE ${names.replayed} SET replayed = replayed + $2 WHERE tbl = $1`, [shape.table, logged.length]);
  return logged.length;
}

/** `(t.k1, t.k2) IN (SELECT * FROM unnest(a1::text[]::type1[], a2::text[]::type2[]))` for text arrays `arrays`, one per key column. */
function keyMatch(shape: PgShape, arrays: readonly string[]): string {
  const key = shape.keyColumns.map((k) => `t.${quoteIdent(k)}`).join(", ");
  const unnest = shape.keyTypes.map((type, i) => `${arrays[i]}::text[]::${type}[]`).join(", ");
  return `(${key}) IN (SELECT * FROM unnest(${unnest}))`;
}

async function lockOwned(client: pg.Client, names: Bookkeeping, owner: string): Promise<boolean> {
  const { rowCount } = await client.query(`SELECT 1 FROM ${names.command} WHERE id = 1 AND running AND owner = $1 FOR KEY SHARE`, [owner]);
  return rowCount === 1;
}

async function lockIdleCommand(client: pg.Client, names: Bookkeeping): Promise<boolean> {
  const { rowCount } = await client.query(`SELECT 1 FROM ${names.command} WHERE id = 1 AND NOT running FOR KEY SHARE`);
  return rowCount === 1;
}
