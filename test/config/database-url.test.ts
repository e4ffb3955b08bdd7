import { describe, expect, it } from "vitest";
import { databaseSecrets, redactDatabaseUrl } from "../../src/config/database-url.ts";

describe("database URLs in texts", () => {
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
