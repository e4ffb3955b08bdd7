import { describe, expect, it } from "vitest";
import { databaseSecrets, dialectOf, parseDatabaseUrl, redactDatabaseUrl } from "../../src/config/database-url.ts";

describe("parseDatabaseUrl", () => {
  it.each([
    ["sqlite:/a/b.db", { dialect: "sqlite", path: "/a/b.db" }],
    ["sqlite:b.db", { dialect: "sqlite", path: "/base/b.db" }],
    ["sqlite:///a/b.db", { dialect: "sqlite", path: "/a/b.db" }],
    ["SQLITE:b.db", { dialect: "sqlite", path: "/base/b.db" }],
    ["sqlite::memory:", { dialect: "sqlite", path: ":memory:" }],
    ["postgres://u:p@h/db", { dialect: "postgres", connectionString: "postgres://u:p@h/db" }],
    ["postgresql://h/db", { dialect: "postgres", connectionString: "postgresql://h/db" }],
  ])("%s", (url, target) => {
    expect(parseDatabaseUrl(url, "/base")).toEqual(target);
  });

  it("names the dialect", () => {
    expect(dialectOf("sqlite:/x.db")).toBe("sqlite");
    expect(dialectOf("postgres://h/db")).toBe("postgres");
  });

  it.each([
    ["postgres://user:secret@host:5432/db", "postgres://user:***@host:5432/db"],
    ["postgresql://user@host/db", "postgresql://user@host/db"],
    ["sqlite:/x.db", "sqlite:/x.db"],
  ])("redacts %s", (url, redacted) => {
    expect(redactDatabaseUrl(url)).toBe(redacted);
  });

  it.each([
    ["postgres://user:secret@host:5432/db", ["secret"]],
    ["postgres://user:p%40ss%2Fw@host/db", ["p%40ss%2Fw", "p@ss/w"]],
    ["postgres://user:bad%zz@host/db", ["bad%zz"]],
    ["postgresql://user@host/db", []],
    ["postgres://user:@host/db", []],
    ["sqlite:/x.db", []],
  ])("the secrets of %s, for scrubbing texts", (url, secrets) => {
    expect(databaseSecrets(url)).toEqual(secrets);
  });
});
