import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/cli-process.ts";
import { removeDir, writeMigrations } from "../helpers/test-service.ts";

const PASSWORD = "hunter2-Secret";
const dir = writeMigrations({});
afterAll(() => removeDir(dir));

/** `serve` with a PostgreSQL URL, given by flag or by DATABASE_URL. */
const CASES: { name: string; url: string; via: "flag" | "env"; says: RegExp }[] = [
  { name: "a host that does not resolve", url: `postgres://app:${PASSWORD}@db.invalid:5432/app`, via: "flag", says: /db\.invalid/ },
  { name: "a port nobody listens on", url: `postgres://app:${PASSWORD}@127.0.0.1:1/app`, via: "env", says: /127\.0\.0\.1:1\b/ },
  { name: "a malformed URL (space in the host)", url: `postgres://app:${PASSWORD}@db host:5432/app`, via: "flag", says: /malformed|invalid/i },
  { name: "a malformed URL (port out of range)", url: `postgres://app:${PASSWORD}@localhost:99999/app`, via: "env", says: /malformed|invalid|port/i },
];

describe("serve refuses to start on an unusable PostgreSQL URL", () => {
  for (const { name, url, via, says } of CASES) {
    it(`${name}: exit 1, a message that says what is wrong, never the password`, async () => {
      const args = ["serve", "--dev", "--port", "0", "--migrations", dir, ...(via === "flag" ? ["--database", url] : [])];
      const started = Date.now();
      const result = await runCli(args, { env: via === "env" ? { DATABASE_URL: url } : {} });
      expect(result.code, result.stderr).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(result.stderr).toMatch(/PostgreSQL/);
      expect(result.stderr).toMatch(says);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stdout + result.stderr).not.toContain(PASSWORD);
      expect(result.stdout).not.toContain("listening on");
    });
  }
});
