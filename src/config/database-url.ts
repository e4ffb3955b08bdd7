import { resolve } from "node:path";
import { StartupError } from "../core/errors.ts";
import type { Dialect } from "../migrations/types.ts";

/** A database URL taken apart: the SQLite file path, or the PostgreSQL connection string as given. */
export type DatabaseTarget =
  | { readonly dialect: "sqlite"; readonly path: string }
  | { readonly dialect: "postgres"; readonly connectionString: string };

/** The part of a URL up to and including the first `:`, or null when there is none; never the rest (it may hold a password). */
function schemeOf(url: string): string | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return match ? match[1]!.toLowerCase() : null;
}

/**
 * Parses a database URL: `sqlite:PATH` or `sqlite://PATH` (PATH relative to `cwd` or absolute, so
 * `sqlite:///tmp/x.db` is `/tmp/x.db`; `sqlite::memory:` is an in-memory database), or
 * `postgres://…` / `postgresql://…`. Anything else is a StartupError naming only the scheme.
 */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseTarget {
  const scheme = schemeOf(url);
  if (scheme === "sqlite") {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "") throw new StartupError("The SQLite database URL has no path: use sqlite:PATH, e.g. sqlite:./data/migrations.db");
    return { dialect: "sqlite", path: path === ":memory:" ? path : resolve(cwd, path) };
  }
  if (scheme === "postgres" || scheme === "postgresql") return { dialect: "postgres", connectionString: url };
  const named = scheme === null ? "The database URL has no scheme" : `Unsupported database URL scheme "${scheme}:"`;
  throw new StartupError(`${named}: use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
}

/** The canonical URL of a target: `sqlite:/absolute/path` or the PostgreSQL URL unchanged. */
export function formatDatabaseUrl(target: DatabaseTarget): string {
  return target.dialect === "sqlite" ? `sqlite:${target.path}` : target.connectionString;
}

/** The dialect a database URL selects (the URL must already be valid). */
export function dialectOf(url: string): Dialect {
  return parseDatabaseUrl(url).dialect;
}

/** A URL safe to print: the password of a PostgreSQL URL replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

/**
 * The password of a PostgreSQL URL as written (percent-encoded) and decoded, for scrubbing texts that
 * might echo it; empty for SQLite and for URLs without one.
 */
export function databaseSecrets(url: string): string[] {
  const match = /^postgres(?:ql)?:\/\/[^:/@]*:([^@]*)@/i.exec(url);
  const raw = match?.[1];
  if (!raw) return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // A malformed escape: the raw form is all there is to scrub.
  }
  return [...new Set([raw, decoded])];
}
