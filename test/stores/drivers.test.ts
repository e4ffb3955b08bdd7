import { describe, expect, it } from "vitest";
import { StartupError } from "../../src/core/errors.ts";
import { canonicalDatabaseUrl, DRIVERS, driverForDialect, driverForUrl } from "../../src/stores/drivers.ts";

describe("the driver table", () => {
  it.each([
    ["sqlite:/a/b.db", "sqlite", "sqlite:/a/b.db"],
    ["sqlite:b.db", "sqlite", "sqlite:/base/b.db"],
    ["sqlite:///a/b.db", "sqlite", "sqlite:/a/b.db"],
    ["SQLITE:b.db", "sqlite", "sqlite:/base/b.db"],
    ["postgres://u:p@h/db", "postgres", "postgres://u:p@h/db"],
    ["postgresql://h/db", "postgres", "postgresql://h/db"],
  ])("%s is served by the %s driver as %s", (url, dialect, canonical) => {
    expect(driverForUrl(url).dialect).toBe(dialect);
    expect(canonicalDatabaseUrl(url, "/base")).toBe(canonical);
  });

  it.each([
    ["sqlite::memory:", /An in-memory SQLite database cannot be used/],
    ["sqlite:", /has no path/],
    ["mysql://h/db", /Unsupported database URL scheme "mysql:": use one of sqlite:, postgres:, postgresql:/],
    ["just-a-path.db", /The database URL has no scheme/],
    ["postgres://u:secret@db host:5432/app", /malformed/],
  ])("%s is refused with a clear StartupError", (url, message) => {
    const error = (() => {
      try {
        canonicalDatabaseUrl(url, "/base");
      } catch (thrown) {
        return thrown;
      }
      throw new Error("accepted");
    })();
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("secret");
  });

  it("has one row per dialect, and an unknown dialect is an error, not a fallback", () => {
    expect(DRIVERS.map((d) => d.dialect)).toEqual(["sqlite", "postgres"]);
    expect(() => driverForDialect("mysql" as never)).toThrow('No store driver for the dialect "mysql"');
  });
});
