import { Code, ConnectError } from "@connectrpc/connect";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeClientError } from "../../src/cli/client-error.ts";
import { parseClientOptions } from "../../src/cli/client-options.ts";
import { UsageError } from "../../src/cli/exit-codes.ts";

const dir = mkdtempSync(join(tmpdir(), "client-options-"));
const fileA = join(dir, "a");
const fileB = join(dir, "b");
writeFileSync(fileA, "pw-a\r\n");
writeFileSync(fileB, "pw-b\n");

describe("parseClientOptions", () => {
  it.each([
    ["defaults", [], {}, { url: "http://127.0.0.1:9011", password: "dev", verbose: false, json: false }],
    ["--url", ["--url", "http://h:1"], {}, { url: "http://h:1" }],
    ["MIGRATIONS_URL", [], { MIGRATIONS_URL: "http://env:2" }, { url: "http://env:2" }],
    ["--url over MIGRATIONS_URL", ["--url", "http://flag:3"], { MIGRATIONS_URL: "http://env:2" }, { url: "http://flag:3" }],
    ["--password-file", ["--password-file", fileA], {}, { password: "pw-a" }],
    ["INTERNAL_AUTH_PASSWORD_FILE", [], { INTERNAL_AUTH_PASSWORD_FILE: fileB }, { password: "pw-b" }],
    ["--password-file over env", ["--password-file", fileA], { INTERNAL_AUTH_PASSWORD_FILE: fileB }, { password: "pw-a" }],
    ["--verbose --json", ["--verbose", "--json"], {}, { verbose: true, json: true }],
    ["--max-rows-per-second", ["--max-rows-per-second", "5000"], {}, { maxRowsPerSecond: 5000 }],
    ["--max-rows-per-second 0 (no limit)", ["--max-rows-per-second", "0"], {}, { maxRowsPerSecond: 0 }],
  ] as const)("%s", async (_name, argv, env, expected) => {
    expect(await parseClientOptions(argv, env)).toMatchObject(expected);
  });

  it.each([
    ["unknown flag", ["--urll", "x"], /Unknown option '--urll'.*Valid flags: --url/],
    ["not an http URL", ["--url", "ftp://x"], /--url must be an http:\/\/ or https:\/\/ URL/],
    ["unreadable password file", ["--password-file", join(dir, "missing")], /Cannot read the password file/],
    ["a negative limit", ["--max-rows-per-second=-5"], /--max-rows-per-second must be an integer from 0 \(no limit\) to 4294967295, got "-5"/],
    ["a limit that is no number", ["--max-rows-per-second", "fast"], /--max-rows-per-second must be an integer/],
  ])("%s is a UsageError", async (_name, argv, message) => {
    const error = await parseClientOptions(argv, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("describeClientError", () => {
  const url = "http://127.0.0.1:9";
  it("a refused connection is exit 3 with the URL", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(describeClientError(new ConnectError("x", Code.Unavailable, undefined, undefined, refused), url)).toEqual({
      exitCode: 3, message: `Cannot reach the migration service at ${url} (ECONNREFUSED). Is it running?`,
    });
  });
  it("a reset connection is exit 3 too", () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(describeClientError(new ConnectError("x", Code.Aborted, undefined, undefined, reset), url).exitCode).toBe(3);
  });
  it.each([
    [Code.FailedPrecondition, "failed_precondition"],
    [Code.Unauthenticated, "unauthenticated"],
    [Code.InvalidArgument, "invalid_argument"],
  ])("a server error (%s) is exit 2 with its message", (code, name) => {
    expect(describeClientError(new ConnectError("Migration is running", code), url)).toEqual({
      exitCode: 2, message: `Request failed (${name}): Migration is running`,
    });
  });
});
