import type { PoolClient } from "./pg-pool.ts";
import { qualify, quoteLiteral } from "./sql.ts";
import { inContext, type SwapStatement } from "./swap-batch.ts";
import { type SavedGrant, grantStatements, readGrants } from "./swap-grants.ts";

/** A view (or materialized view) that depends on a swapped table, remembered across the swap. */
export interface SavedView {
  /** `schema.name`, quoted. */
  name: string;
  /** Plain view name, for messages. */
  relname: string;
  /** `v` or `m`. */
  relkind: string;
  /** Its query, printed for the swap's search path. */
  definition: string;
  /** `reloptions` such as `check_option=local`. */
  options: string[];
  /** Its comment, if any. */
  comment: string | null;
  /** Its privileges. */
  grants: SavedGrant[];
}

/**
 * Every view depending (directly or through other views) on the tables `oids`, in creation order:
 * a view comes after every view it reads. Call with the swap's search path set.
 */
export async function saveDependentViews(client: PoolClient, oids: readonly number[]): Promise<SavedView[]> {
  const { rows } = await client.query<{ oid: number; nspname: string; relname: string; relkind: string; def: string; options: string[] | null; comment: string | null }>(
    `WITH RECURSIVE deps(oid, depth) AS (
       SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
       WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
         AND d.refobjid = ANY($1::oid[]) AND r.ev_class <> d.refobjid
       UNION ALL
       SELECT r.ev_class, deps.depth + 1 FROM deps
       JOIN pg_depend d ON d.refobjid = deps.oid AND d.refclassid = 'pg_class'::regclass AND d.classid = 'pg_rewrite'::regclass
       JOIN pg_rewrite r ON r.oid = d.objid
       WHERE r.ev_class <> deps.oid AND deps.depth < 100)
     SELECT c.oid, n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid) AS def, c.reloptions AS options,
            obj_description(c.oid, 'pg_class') AS comment
     FROM (SELECT oid, max(depth) AS depth FROM deps GROUP BY oid) v
     JOIN pg_class c ON c.oid = v.oid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm')
     ORDER BY v.depth, c.oid`,
    [oids],
  );
  const views: SavedView[] = [];
  for (const r of rows) {
    views.push({
      name: qualify(r.nspname, r.relname), relname: r.relname, relkind: r.relkind, definition: r.def,
      options: r.options ?? [], comment: r.comment, grants: await readGrants(client, r.oid),
    });
  }
  return views;
}

/** The statements dropping the saved views, dependents first. */
export function dropViewStatements(views: readonly SavedView[]): SwapStatement[] {
  return [...views].reverse().map((view) => ({ sql: `DROP ${kindOf(view)} ${view.name}` }));
}

/** The statements re-creating the saved views in order, with options, comments and privileges; a view naming a vanished column fails clearly. */
export function createViewStatements(views: readonly SavedView[]): SwapStatement[] {
  return views.flatMap((view) => {
    const body = view.definition.trim().replace(/;$/, "");
    const options = view.options.length > 0 ? ` WITH (${view.options.join(", ")})` : "";
    const statements = [
      `CREATE ${kindOf(view)} ${view.name}${options} AS ${body}`,
      ...(view.comment !== null ? [`COMMENT ON ${kindOf(view)} ${view.name} IS ${quoteLiteral(view.comment)}`] : []),
      ...grantStatements(view.name, view.grants),
    ];
    return statements.map((sql) => inContext(sql, `Cannot re-create view "${view.relname}" after the swap`));
  });
}

function kindOf(view: SavedView): string {
  return view.relkind === "m" ? "MATERIALIZED VIEW" : "VIEW";
}
