import type { PoolClient } from "./pg-pool.ts";

/** A session that holds a lock on a relation the finalize swap must lock. */
export interface LockHolder {
  /** The locked relation's name. */
  relation: string;
  /** The lock mode it holds, e.g. `AccessShareLock`. */
  mode: string;
  /** Backend pid. */
  pid: number;
  /** Its application_name ("" when unset). */
  application: string;
  /** Its state, e.g. `idle in transaction`. */
  state: string;
  /** Seconds since its transaction (or query) started, or null. */
  seconds: number | null;
}

/**
 * The other sessions holding locks on the origin tables `tables`, on the tables whose foreign keys
 * reference them and on the views reading them (everything the swap locks), longest-running first.
 */
export async function lockHolders(client: PoolClient, schema: string, tables: readonly string[]): Promise<LockHolder[]> {
  const { rows } = await client.query<{ relation: string; mode: string; pid: number; application: string | null; state: string | null; seconds: number | null }>(
    `WITH targets AS (
       SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2::text[])
     ), related AS (
       SELECT oid FROM targets
       UNION SELECT con.conrelid FROM pg_constraint con WHERE con.contype = 'f' AND con.confrelid IN (SELECT oid FROM targets)
       UNION SELECT r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM targets)
     )
     SELECT c.relname AS relation, l.mode, a.pid, a.application_name AS application, a.state,
            extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::float8 AS seconds
     FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.granted AND l.locktype = 'relation' AND l.relation IN (SELECT oid FROM related) AND l.pid <> pg_backend_pid()
     ORDER BY seconds DESC NULLS LAST, a.pid, c.relname`,
    [schema, tables],
  );
  return rows.map((r) => ({ ...r, application: r.application ?? "", state: r.state ?? "unknown" }));
}

/** `table "item" is held by pid 42 (application "shop", idle in transaction, transaction open for 4.2 s, RowExclusiveLock)`, for the first few holders. */
export function describeHolders(holders: readonly LockHolder[]): string {
  if (holders.length === 0) return "no session holds them any more (the transaction that did has ended)";
  const shown = holders.slice(0, 3).map((h) => {
    const open = h.seconds === null ? "" : `, transaction open for ${h.seconds.toFixed(1)} s`;
    const app = h.application === "" ? "no application_name" : `application "${h.application}"`;
    return `table "${h.relation}" is held by pid ${h.pid} (${app}, ${h.state}${open}, ${h.mode})`;
  });
  const more = holders.length > 3 ? ` and ${holders.length - 3} more lock(s)` : "";
  return `${shown.join("; ")}${more}`;
}
