import { StartupError } from "../../core/errors.ts";

/** Where a PostgreSQL URL points, without credentials: `host:port/database` (libpq defaults filled in). */
export function describeTarget(url: string): string {
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get("host") || "localhost";
  const database = decodeURIComponent(parsed.pathname.slice(1)) || "(default database)";
  return `${host}:${parsed.port || parsed.searchParams.get("port") || 5432}/${database}`;
}

/** Throws a StartupError (never echoing the URL, which may hold a password) unless `url` is a usable postgres URL. */
export function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StartupError("The PostgreSQL database URL is malformed: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE");
  }
  if (!/^postgres(ql)?:$/i.test(parsed.protocol)) {
    throw new StartupError(`Not a PostgreSQL database URL (scheme "${parsed.protocol}")`);
  }
  if (parsed.port !== "" && !/^\d+$/.test(parsed.port)) {
    throw new StartupError(`The PostgreSQL database URL has a bad port (host ${parsed.hostname})`);
  }
}

/** A StartupError for a failed first connection, naming host, port and database but never the password. */
export function connectError(url: string, error: unknown): StartupError {
  const reason = error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code || error.name : String(error);
  return new StartupError(`Cannot connect to PostgreSQL at ${describeTarget(url)}: ${reason}`, { cause: error });
}
