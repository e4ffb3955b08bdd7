import type { PoolClient } from "./pg-pool.ts";
import { retiredSchemaFor, type Schemas } from "./shadow-schema.ts";
import { qualify, quoteIdent } from "./sql.ts";
import { inContext, type SwapStatement } from "./swap-batch.ts";

/**
 * Whether the old origin tables `oids` can be retired instead of dropped under the swap's locks: plain
 * tables (no partitions, no inheritance) on which nothing outside them depends but what the swap itself
 * re-creates (views, foreign keys into them). DROP TABLE of a large table unlinks its files at COMMIT,
 * which the application waits for (about 200 ms for a million rows with three indexes); moving it into the
 * retired schema is a catalog change, and the drop runs after the COMMIT. Anything else depending on a
 * table (a rule or trigger of another table, a function over its row type) makes the swap drop it as
 * before, so such a dependent still fails the swap instead of being dropped with the retired table.
 */
export async function retirable(client: PoolClient, oids: readonly number[]): Promise<boolean> {
  if (oids.length === 0) return true;
  const { rows } = await client.query<{ blocked: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = ANY($1::oid[]) AND (c.relkind <> 'r' OR c.relispartition))
         OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = ANY($1::oid[]) OR i.inhparent = ANY($1::oid[]))
         OR EXISTS (
           SELECT 1 FROM pg_depend d
           WHERE d.deptype = 'n'
             AND ((d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($1::oid[]))
               OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT reltype FROM pg_class WHERE oid = ANY($1::oid[]))))
             AND NOT (d.classid = 'pg_class'::regclass AND d.objid = ANY($1::oid[]))
             AND NOT (d.classid = 'pg_rewrite'::regclass AND EXISTS (
               SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid AND (c.relkind IN ('v', 'm') OR c.oid = ANY($1::oid[]))))
             AND NOT (d.classid = 'pg_constraint'::regclass AND EXISTS (
               SELECT 1 FROM pg_constraint k WHERE k.oid = d.objid AND (k.contype = 'f' OR k.conrelid = ANY($1::oid[]))))
             AND NOT (d.classid = 'pg_trigger'::regclass AND EXISTS (SELECT 1 FROM pg_trigger g WHERE g.oid = d.objid AND g.tgrelid = ANY($1::oid[])))
             AND NOT (d.classid = 'pg_attrdef'::regclass AND EXISTS (SELECT 1 FROM pg_attrdef a WHERE a.oid = d.objid AND a.adrelid = ANY($1::oid[])))
             AND NOT (d.classid = 'pg_policy'::regclass AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.oid = d.objid AND p.polrelid = ANY($1::oid[])))
         ) AS blocked`,
    [oids],
  );
  return !rows[0]!.blocked;
}

/**
 * The statements that take the old tables `oids` (by name) out of the origin: into the retired schema when
 * `retire`, first dropping their foreign keys to tables that stay (the application's deletes there must not
 * check retired rows, and the later drop must not lock those tables); else one DROP TABLE, so keys among the
 * dropped tables do not stand in the way.
 */
export async function retireStatements(client: PoolClient, schemas: Schemas, oids: ReadonlyMap<string, number>, retire: boolean): Promise<SwapStatement[]> {
  if (oids.size === 0) return [];
  const tables = [...oids.keys()].map((t) => qualify(schemas.origin, t));
  if (!retire) return [inContext(`DROP TABLE ${tables.join(", ")}`, "Cannot drop the old tables")];
  const { rows } = await client.query<{ relname: string; conname: string }>(
    `SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
     WHERE k.contype = 'f' AND k.conrelid = ANY($1::oid[]) AND NOT k.confrelid = ANY($1::oid[]) ORDER BY c.relname, k.conname`,
    [[...oids.values()]],
  );
  const retired = quoteIdent(retiredSchemaFor(schemas.origin));
  return [
    { sql: `CREATE SCHEMA IF NOT EXISTS ${retired}` },
    ...rows.map((r) => ({ sql: `ALTER TABLE ${qualify(schemas.origin, r.relname)} DROP CONSTRAINT ${quoteIdent(r.conname)}` })),
    ...tables.map((table) => ({ sql: `ALTER TABLE ${table} SET SCHEMA ${retired}` })),
  ];
}
