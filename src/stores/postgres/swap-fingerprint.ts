import { GUARD_TRIGGERS } from "./guard-names.ts";
import type { Schemas } from "./shadow-schema.ts";
import { quoteLiteral } from "./sql.ts";

/**
 * One query (literals inlined, so it can share a round trip with the LOCK) returning a hash over every
 * catalog fact the finalize swap plans from: the origin tables named `tables` and the views over them
 * (pg_class rows, whose xmin moves with any ALTER, grant or rename), what depends on them or their row types
 * (pg_depend: views, foreign keys, owned sequences, indexes, rules), their triggers and every guard trigger
 * of the origin schema, their foreign keys in and out, the views' rules and comments, and the shadow's tables.
 * Equal hashes before and under the locks: the planned statements still fit the catalog.
 */
export function fingerprintQuery(schemas: Schemas, tables: readonly string[]): string {
  const origin = quoteLiteral(schemas.origin);
  const names = `ARRAY[${tables.map(quoteLiteral).join(", ")}]::text[]`;
  const guards = `ARRAY[${GUARD_TRIGGERS.map(quoteLiteral).join(", ")}]::text[]`;
  return `WITH RECURSIVE
    t AS (SELECT c.oid, c.reltype FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ${origin} AND c.relname = ANY(${names}) AND c.relkind IN ('r', 'p')),
    v(oid, depth) AS (
      SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
      WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM t) AND r.ev_class <> d.refobjid
      UNION
      SELECT r.ev_class, v.depth + 1 FROM v
      JOIN pg_depend d ON d.refobjid = v.oid AND d.refclassid = 'pg_class'::regclass AND d.classid = 'pg_rewrite'::regclass
      JOIN pg_rewrite r ON r.oid = d.objid
      WHERE r.ev_class <> v.oid AND v.depth < 100),
    rel AS (SELECT oid FROM t UNION SELECT oid FROM v),
    facts(f) AS (
      SELECT 'c' || c.oid || ':' || c.xmin || ':' || c.relname FROM pg_class c WHERE c.oid IN (SELECT oid FROM rel)
      UNION ALL
      SELECT 's' || c.oid || ':' || c.xmin || ':' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${quoteLiteral(schemas.shadow)} AND c.relkind IN ('r', 'p')
      UNION ALL
      SELECT 'd' || d.classid || ':' || d.objid || ':' || d.objsubid || ':' || d.refclassid || ':' || d.refobjid || ':' || d.refobjsubid || ':' || d.deptype::text
      FROM pg_depend d
      WHERE (d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM rel))
         OR (d.refclassid = 'pg_type'::regclass AND d.refobjid IN (SELECT reltype FROM t))
      UNION ALL
      SELECT 't' || g.oid || ':' || g.xmin FROM pg_trigger g
      WHERE g.tgrelid IN (SELECT oid FROM t)
         OR (g.tgname = ANY(${guards}) AND g.tgrelid IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${origin}))
      UNION ALL
      SELECT 'k' || k.oid || ':' || k.xmin FROM pg_constraint k WHERE k.conrelid IN (SELECT oid FROM t) OR k.confrelid IN (SELECT oid FROM t)
      UNION ALL
      SELECT 'r' || r.oid || ':' || r.xmin FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM v)
      UNION ALL
      SELECT 'm' || m.objoid || ':' || m.objsubid || ':' || m.xmin FROM pg_description m
      WHERE m.classoid = 'pg_class'::regclass AND m.objoid IN (SELECT oid FROM v))
    SELECT md5(coalesce(string_agg(f, ',' ORDER BY f), '')) AS fingerprint FROM facts`;
}
