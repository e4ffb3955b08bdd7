import type { PoolClient } from "./pg-pool.ts";
import { quoteIdent } from "./sql.ts";

/** One privilege on a relation. */
export interface SavedGrant {
  /** Role name, or null for PUBLIC. */
  grantee: string | null;
  /** `SELECT`, `INSERT`, … */
  privilege: string;
  /** Granted WITH GRANT OPTION. */
  grantable: boolean;
}

/** The explicit privileges of relation `oid` (none when it has the default ACL). */
export async function readGrants(client: PoolClient, oid: number): Promise<SavedGrant[]> {
  const { rows } = await client.query<{ grantee: string | null; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee,
            a.privilege_type AS privilege, a.is_grantable AS grantable
     FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1 AND a.grantee <> c.relowner`,
    [oid],
  );
  return rows;
}

/** The GRANT statements giving the saved privileges on `relation` (a quoted, qualified name). */
export function grantStatements(relation: string, grants: readonly SavedGrant[]): string[] {
  return grants.map((g) => `GRANT ${g.privilege} ON ${relation} TO ${g.grantee === null ? "PUBLIC" : quoteIdent(g.grantee)}${g.grantable ? " WITH GRANT OPTION" : ""}`);
}
