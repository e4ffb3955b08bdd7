import pg from "pg";

/** `url` pointing at database `name` instead (same host, role, password and options). */
export function databaseUrl(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/** Runs `work` on a fresh client of `url`, then closes it; an unreachable server is named in the error. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL is unreachable at ${redacted(url)}: ${(error as Error).message} (set --database-url or TEST_DATABASE_URL)`, {
      cause: error,
    });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The first row of `sql`; throws when there is none. */
export async function one(client: pg.Client, sql: string, params: unknown[] = []): Promise<Record<string, unknown>> {
  const { rows } = await client.query(sql, params);
  if (rows[0] === undefined) throw new Error(`no row from ${sql}`);
  return rows[0] as Record<string, unknown>;
}
