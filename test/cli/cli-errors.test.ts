import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NO_PASSWORD_MESSAGE } from "../../src/config/resolve-serve-config.ts";
import { runCli } from "./cli-process.ts";

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("migrations CLI errors", () => {
  it("an unreachable server exits 3 with the URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const command of ["stats", "migrate", "finalize", "reset"]) {
      const result = await runCli([command, "--url", url]);
      expect(result.code, command).toBe(3);
      expect(result.stderr, command).toBe(`Cannot reach the migration service at ${url} (ECONNREFUSED). Is it running?\n`);
    }
  });

  it("serve without a password file nor dev mode refuses to start: the message alone, exit 1", async () => {
    const result = await runCli(["serve", "--migrations", "./m", "--port", "0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${NO_PASSWORD_MESSAGE}\n`);
    expect(result.stdout).toBe("");
  });

  it("serve on an SQLite path it cannot open names the file, without a stack trace, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mig-badfile-"));
    try {
      writeFileSync(join(dir, "notes.db"), "these are notes, not a database\n".repeat(20));
      for (const [path, says] of [[dir, "unable to open database file"], [join(dir, "notes.db"), "file is not a database"]] as const) {
        const result = await runCli(["serve", "--dev", "--port", "0", "--migrations", dir, "--database", `sqlite:${path}`]);
        expect(result.code, path).toBe(1);
        expect(result.stderr, path).toBe(`Cannot open the SQLite database ${path}: ${says}\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serve with an unknown flag lists the valid ones, exit 1", async () => {
    const result = await runCli(["serve", "--dev", "--prot", "80"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Unknown option '--prot'\. Valid flags: --database, .*--help\n$/);
  });

  it("serve --help prints the flags, exit 0", async () => {
    const result = await runCli(["serve", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--password-file FILE");
  });

  it("an unknown command or client flag is a usage error, exit 2", async () => {
    expect((await runCli(["migrat"])).code).toBe(2);
    const result = await runCli(["stats", "--urll", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--urll'/);
  });
});
