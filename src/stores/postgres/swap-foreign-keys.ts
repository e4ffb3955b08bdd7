import type { PoolClient } from "./pg-pool.ts";
import type { Schemas } from "./shadow-schema.ts";
import { qualify, quoteIdent } from "./sql.ts";

/** A foreign key into or out of a swapped table, and where its two tables are before and after the swap. */
export interface ForeignKeyPlan {
  /** Constraint name. */
  name: string;
  /** `pg_get_constraintdef` printed for the swap's search path (origin first), so names resolve to the new tables. */
  definition: string;
  /** Child table name, for messages. */
  child: string;
  /** Parent table name, for messages. */
  parent: string;
  /** Child columns, parallel to `parentColumns`. */
  childColumns: string[];
  /** Referenced columns. */
  parentColumns: string[];
  /** The child's relation now: the shadow copy of a swapped child, else where it is. */
  childNow: string;
  /** The parent's relation now, likewise. */
  parentNow: string;
  /** The child's relation after the swap. */
  childAfter: string;
  /** True when the child is not a swapped origin table: the key must be dropped before the origin goes. */
  dropFirst: boolean;
}

interface ForeignKeyRow {
  conname: string;
  def: string;
  child_schema: string;
  child: string;
  parent_schema: string;
  parent: string;
  child_touched: boolean;
  parent_touched: boolean;
  child_columns: string[];
  parent_columns: string[];
}

/**
 * The foreign keys to carry over the swap of the origin tables `oids`: those of a swapped table whose
 * columns still exist on both sides (a migration that dropped them meant it), and every key of another
 * table into a swapped one, which must still fit (else the swap fails, naming it).
 */
export async function planForeignKeys(client: PoolClient, schemas: Schemas, oids: readonly number[]): Promise<ForeignKeyPlan[]> {
  const { rows } = await client.query<ForeignKeyRow>(
    `SELECT con.conname, pg_get_constraintdef(con.oid) AS def,
            cn.nspname AS child_schema, cc.relname AS child, pn.nspname AS parent_schema, pc.relname AS parent,
            con.conrelid = ANY($1::oid[]) AS child_touched, con.confrelid = ANY($1::oid[]) AS parent_touched,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS child_columns,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS parent_columns
     FROM pg_constraint con
     JOIN pg_class cc ON cc.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
     JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE con.contype = 'f' AND (con.conrelid = ANY($1::oid[]) OR con.confrelid = ANY($1::oid[]))
     ORDER BY con.conname`,
    [oids],
  );
  const plans: ForeignKeyPlan[] = [];
  for (const r of rows) {
    const childNow = r.child_touched ? { schema: schemas.shadow, table: r.child } : { schema: r.child_schema, table: r.child };
    const parentNow = r.parent_touched ? { schema: schemas.shadow, table: r.parent } : { schema: r.parent_schema, table: r.parent };
    const childFits = await hasColumns(client, childNow.schema, childNow.table, r.child_columns);
    const parentFits = await hasColumns(client, parentNow.schema, parentNow.table, r.parent_columns);
    if (r.child_touched && (!childFits || !parentFits)) continue;
    if (!parentFits) {
      throw new Error(
        `Foreign key "${r.conname}" of table "${r.child}" references ${r.parent_columns.map((c) => `"${r.parent}"."${c}"`).join(", ")}, ` +
          `which the migrations dropped or renamed; the swap would break it`,
      );
    }
    const movesIn = r.child_touched || r.child_schema === schemas.shadow;
    // A migration that re-added the key on its copy under the same name has the last word.
    if (r.child_touched && (await hasConstraint(client, childNow.schema, childNow.table, r.conname))) continue;
    plans.push({
      name: r.conname, definition: r.def, child: r.child, parent: r.parent,
      childColumns: r.child_columns, parentColumns: r.parent_columns,
      childNow: qualify(childNow.schema, childNow.table), parentNow: qualify(parentNow.schema, parentNow.table),
      childAfter: qualify(movesIn ? schemas.origin : r.child_schema, r.child),
      dropFirst: !r.child_touched,
    });
  }
  return plans;
}

async function hasColumns(client: PoolClient, schema: string, table: string, columns: string[]): Promise<boolean> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = ANY($3::text[]) AND a.attnum > 0 AND NOT a.attisdropped`,
    [schema, table, columns],
  );
  return Number(rows[0]!.n) === new Set(columns).size;
}

async function hasConstraint(client: PoolClient, schema: string, table: string, name: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND con.conname = $3`,
    [schema, table, name],
  );
  return rowCount === 1;
}

/** Fails, naming the first few rows, when a planned key would not hold for the rows as they are now (runs before the swap's locks). */
export async function checkForeignKeyRows(client: PoolClient, plans: readonly ForeignKeyPlan[]): Promise<void> {
  for (const fk of plans) {
    const notNull = fk.childColumns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(" AND ");
    const match = fk.childColumns.map((c, i) => `p.${quoteIdent(fk.parentColumns[i]!)} = c.${quoteIdent(c)}`).join(" AND ");
    const shown = fk.childColumns.map((c) => `c.${quoteIdent(c)}::text`).join(` || ', ' || `);
    const { rows } = await client.query<{ key: string }>(
      `SELECT ${shown} AS key FROM ${fk.childNow} c WHERE ${notNull}
       AND NOT EXISTS (SELECT 1 FROM ${fk.parentNow} p WHERE ${match}) LIMIT 6`,
    );
    if (rows.length === 0) continue;
    const columns = fk.childColumns.join(", ");
    const listed = rows.slice(0, 5).map((r) => `table "${fk.child}" row (${columns})=(${r.key}) references a missing row of "${fk.parent}"`);
    const more = rows.length > 5 ? " (and more)" : "";
    throw new Error(`Foreign key check failed before the swap (foreign key "${fk.name}"): ${listed.join("; ")}${more}`);
  }
}
