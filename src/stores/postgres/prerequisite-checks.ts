import type { PoolClient } from "./pg-pool.ts";
import { droppedTables, type Schemas, userTables } from "./shadow-schema.ts";
import { qualify, quoteIdent, sqlState } from "./sql.ts";
import { saveDependentViews, type SavedView } from "./swap-views.ts";
import { changedByText, type SwapChanges } from "../swap-prerequisites.ts";

/** Schema the views are tried in, inside the rolled-back transaction only. */
const CHECK_SCHEMA = "_migration_check";

/**
 * What finalize's swap would trip over, found now: every view (and materialized view) over a swapped or
 * dropped table is created again from its definition against the shadow copies, and every foreign key of
 * another table into one is checked against the copy (column there, unique, comparable type). All of it in
 * one transaction that is rolled back; it takes ACCESS SHARE locks only (views are created in a schema of
 * its own), so the application's reads and writes of the originals never wait for it.
 */
export async function swapPrerequisiteProblems(client: PoolClient, schemas: Schemas, changes: SwapChanges): Promise<string[]> {
  await client.query("BEGIN");
  try {
    const shadowed = await userTables(client, schemas.shadow);
    const dropped = await droppedTables(client, schemas);
    const origins = await originTables(client, schemas.origin, [...shadowed, ...dropped]);
    if (origins.size === 0) return [];
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schemas.origin)}`);
    const views = await saveDependentViews(client, [...origins.values()]);
    const problems = await viewProblems(client, schemas, views, { shadowed, dropped, origins }, changes);
    problems.push(...(await foreignKeyProblems(client, schemas, { shadowed, dropped, origins }, changes)));
    return problems;
  } finally {
    await client.query("ROLLBACK");
  }
}

/** The swapped and dropped tables, and the origin oid of each that exists in the origin. */
interface Touched {
  shadowed: string[];
  dropped: string[];
  origins: Map<string, number>;
}

async function originTables(client: PoolClient, schema: string, tables: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await client.query<{ relname: string; oid: number }>(
    `SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')`,
    [schema, tables],
  );
  return new Map(rows.map((r) => [r.relname, r.oid]));
}

/** Each view tried in creation order (a view over another finds the tried one first), under a savepoint of its own. */
async function viewProblems(client: PoolClient, schemas: Schemas, views: readonly SavedView[], touched: Touched, changes: SwapChanges): Promise<string[]> {
  if (views.length === 0) return [];
  const problems: string[] = [];
  await client.query(`CREATE SCHEMA ${quoteIdent(CHECK_SCHEMA)}`);
  await client.query(`SET LOCAL search_path TO ${quoteIdent(CHECK_SCHEMA)}, ${quoteIdent(schemas.shadow)}, ${quoteIdent(schemas.origin)}`);
  for (const view of views) {
    const reads = await tablesRead(client, view, touched);
    const gone = reads.filter((t) => touched.dropped.includes(t) && !touched.shadowed.includes(t));
    if (gone.length > 0) {
      problems.push(`view "${view.relname}" reads table "${gone[0]}", which ${changedByText(changes, gone[0]!)} drops`);
      continue;
    }
    const kind = view.relkind === "m" ? "MATERIALIZED VIEW" : "VIEW";
    const body = view.definition.trim().replace(/;$/, "");
    await client.query("SAVEPOINT view_check");
    try {
      await client.query(`CREATE ${kind} ${qualify(CHECK_SCHEMA, view.relname)} AS ${body}${view.relkind === "m" ? " WITH NO DATA" : ""}`);
      await client.query("RELEASE SAVEPOINT view_check");
    } catch (error) {
      await client.query("ROLLBACK TO SAVEPOINT view_check");
      problems.push(await viewProblem(client, schemas, view, reads, error, changes));
    }
  }
  return problems;
}

/** The swapped or dropped tables `view` reads directly. */
async function tablesRead(client: PoolClient, view: SavedView, touched: Touched): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT DISTINCT t.relname FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
     JOIN pg_class t ON t.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
     WHERE r.ev_class = $1::regclass AND t.oid = ANY($2::oid[]) ORDER BY t.relname`,
    [view.name, [...touched.origins.values()]],
  );
  return rows.map((r) => r.relname);
}

/** `view "v" uses column t.c, which migration M drops or renames`, when a vanished column is the cause; else the database's own message. */
async function viewProblem(client: PoolClient, schemas: Schemas, view: SavedView, reads: readonly string[], error: unknown, changes: SwapChanges): Promise<string> {
  const message = (error as Error).message;
  const column = sqlState(error) === "42703" ? /column "?(?:[^".\s]+\.)?"?([^".\s]+)"? does not exist/.exec(message)?.[1] : undefined;
  if (column !== undefined) {
    for (const table of reads) {
      if ((await hasColumn(client, schemas.origin, table, column)) && !(await hasColumn(client, schemas.shadow, table, column))) {
        return `view "${view.relname}" uses column ${table}.${column}, which ${changedByText(changes, table)} drops or renames`;
      }
    }
  }
  const tables = reads.map((t) => `"${t}" (${changedByText(changes, t)})`).join(", ");
  return `view "${view.relname}" cannot be created again over the new shape of ${tables === "" ? "the migrated tables" : `table ${tables}`}: ${message}`;
}

async function hasColumn(client: PoolClient, schema: string, table: string, column: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table, column],
  );
  return rowCount === 1;
}

interface IncomingKey {
  conname: string;
  child: string;
  parent: string;
  child_columns: string[];
  child_types: string[];
  parent_columns: string[];
}

/**
 * Foreign keys of tables the migrations leave alone into a swapped or dropped table: the swap re-creates them
 * on the copy, so each referenced column must be there, unique together (a primary key or unique index on
 * exactly those columns), and comparable with the referencing column.
 */
async function foreignKeyProblems(client: PoolClient, schemas: Schemas, touched: Touched, changes: SwapChanges): Promise<string[]> {
  const { rows } = await client.query<IncomingKey>(
    `SELECT con.conname, cc.relname AS child, pc.relname AS parent,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS child_columns,
            ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS child_types,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS parent_columns
     FROM pg_constraint con JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_class pc ON pc.oid = con.confrelid
     WHERE con.contype = 'f' AND con.confrelid = ANY($1::oid[]) AND NOT con.conrelid = ANY($1::oid[])
     ORDER BY cc.relname, con.conname`,
    [[...touched.origins.values()]],
  );
  const problems: string[] = [];
  for (const fk of rows) {
    const by = changedByText(changes, fk.parent);
    const named = `foreign key "${fk.conname}" of table "${fk.child}"`;
    if (!touched.shadowed.includes(fk.parent)) {
      problems.push(`${named} references table "${fk.parent}", which ${by} drops`);
      continue;
    }
    const types = await columnTypes(client, schemas.shadow, fk.parent);
    const missing = fk.parent_columns.find((c) => !types.has(c));
    if (missing !== undefined) {
      problems.push(`${named} references column ${fk.parent}.${missing}, which ${by} drops or renames`);
      continue;
    }
    if (!(await uniqueOn(client, schemas.shadow, fk.parent, fk.parent_columns))) {
      problems.push(`${named} references ${fk.parent} (${fk.parent_columns.join(", ")}), which is no longer a primary key or unique after ${by}`);
      continue;
    }
    for (const [i, column] of fk.parent_columns.entries()) {
      const childType = fk.child_types[i]!;
      const parentType = types.get(column)!;
      if (await comparable(client, childType, parentType)) continue;
      problems.push(`${named}: column ${fk.child}.${fk.child_columns[i]} (${childType}) cannot reference ${fk.parent}.${column}, which ${by} retypes to ${parentType}`);
      break;
    }
  }
  return problems;
}

async function columnTypes(client: PoolClient, schema: string, table: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ attname: string; type: string }>(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table],
  );
  return new Map(rows.map((r) => [r.attname, r.type]));
}

/** Whether a unique, non-partial index on plain columns covers exactly `columns` (as PostgreSQL requires of a referenced key). */
async function uniqueOn(client: PoolClient, schema: string, table: string, columns: readonly string[]): Promise<boolean> {
  const { rows } = await client.query<{ columns: string[] }>(
    `SELECT ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k(n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n) AS columns
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`,
    [schema, table],
  );
  const wanted = [...new Set(columns)].sort().join("\u0000");
  return rows.some((r) => [...new Set(r.columns)].sort().join("\u0000") === wanted);
}

/** Whether values of the two types can be compared with `=` (a foreign key needs that), tried under a savepoint. */
async function comparable(client: PoolClient, childType: string, parentType: string): Promise<boolean> {
  await client.query("SAVEPOINT type_check");
  try {
    await client.query(`SELECT NULL::${childType} = NULL::${parentType}`);
    await client.query("RELEASE SAVEPOINT type_check");
    return true;
  } catch {
    await client.query("ROLLBACK TO SAVEPOINT type_check");
    return false;
  }
}
