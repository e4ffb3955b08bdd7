import { StartupError } from "../core/errors.ts";
import type { Dialect } from "../migrations/types.ts";
import { postgresDriver } from "./postgres/driver.ts";
import { sqliteDriver } from "./sqlite/driver.ts";
import type { StoreDriver } from "./store-driver.ts";

/** THE driver table: one row per store. A new store is a folder with its row, added here. */
export const DRIVERS: readonly StoreDriver[] = [sqliteDriver, postgresDriver];

/** The part of a URL before the first `:`, lowercase, or null; never the rest (it may hold a password). */
function schemeOf(url: string): string | null {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return match ? match[1]!.toLowerCase() : null;
}

/** The driver that serves a database URL's scheme; a StartupError naming only the scheme otherwise. */
export function driverForUrl(url: string): StoreDriver {
  const scheme = schemeOf(url);
  const driver = DRIVERS.find((d) => scheme !== null && d.schemes.includes(scheme));
  if (driver !== undefined) return driver;
  const named = scheme === null ? "The database URL has no scheme" : `Unsupported database URL scheme "${scheme}:"`;
  const schemes = DRIVERS.flatMap((d) => d.schemes.map((s) => `${s}:`)).join(", ");
  throw new StartupError(`${named}: use one of ${schemes} (sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE)`);
}

/** The driver of a dialect (a range plan's); an unknown dialect is an error, never a fallback. */
export function driverForDialect(dialect: Dialect): StoreDriver {
  const driver = DRIVERS.find((d) => d.dialect === dialect);
  if (driver === undefined) throw new Error(`No store driver for the dialect "${String(dialect)}"`);
  return driver;
}

/** The canonical form of a database URL (see StoreDriver.canonicalUrl). */
export function canonicalDatabaseUrl(url: string, cwd: string = process.cwd()): string {
  return driverForUrl(url).canonicalUrl(url, cwd);
}
