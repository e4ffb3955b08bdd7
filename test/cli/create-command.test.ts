import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createCommand } from "../../src/cli/create-command.ts";
import { runCli as runCliInProcess } from "../../src/cli/run-cli.ts";
import { loadMigrations } from "../../src/migrations/loader.ts";
import { makeTempDir } from "../helpers/migration-fixtures.ts";
import { runCli } from "./cli-process.ts";
import { fakeTerminal } from "./fake-terminal.ts";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A temp app directory with `files` in its `migrations/` (none: no migrations directory at all). */
function appDir(files?: Record<string, string>): string {
  const dir = makeTempDir("mig-create-");
  dirs.push(dir);
  if (files) {
    mkdirSync(join(dir, "migrations"));
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, "migrations", name), source);
  }
  return dir;
}

/** Runs `migrations create ARGS` in-process in `cwd`; returns the exit code and what it printed. */
function create(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const terminal = fakeTerminal(false);
  const code = createCommand(args, env, terminal, cwd);
  return { code, stdout: terminal.stdout, stderr: terminal.stderr.join("\n") };
}

describe("migrations create", () => {
  it("starts at 0001 in a new ./migrations directory and prints the file's path", () => {
    const cwd = appDir();
    expect(create(["add", "customer", "email"], cwd)).toEqual({ code: 0, stdout: "migrations/0001_add_customer_email.ts\n", stderr: "" });
    expect(readdirSync(join(cwd, "migrations"))).toEqual(["0001_add_customer_email.ts"]);
  });

  it("takes the highest index of the directory plus one, whatever the extension, skipping dotfiles and other files", () => {
    const cwd = appDir({ "0001_a.ts": "", "0002_b.mjs": "", "0007_c.sql": "", "README.md": "", ".0099_hidden.ts": "", "notes_0050.txt": "" });
    expect((create(["next one"], cwd)).stdout).toBe("migrations/0008_next_one.ts\n");
  });

  it("pads like the widest existing index, at least to 4 digits", () => {
    expect((create(["x"], appDir({ "01_a.ts": "" }))).stdout).toBe("migrations/0002_x.ts\n");
    expect((create(["x"], appDir({ "000041_a.ts": "" }))).stdout).toBe("migrations/000042_x.ts\n");
    expect((create(["x"], appDir({ "9999_a.ts": "" }))).stdout).toBe("migrations/10000_x.ts\n");
  });

  it("slugs the description to lower-case letters, digits and underscores", () => {
    expect((create(["  Add Customer E-Mail, Café (v2)! "], appDir())).stdout).toBe("migrations/0001_add_customer_e_mail_cafe_v2.ts\n");
  });

  it("uses --migrations over MIGRATIONS_DIR over ./migrations, and prints the path as given", () => {
    const cwd = appDir();
    expect((create(["a"], cwd, { MIGRATIONS_DIR: "db/env" })).stdout).toBe("db/env/0001_a.ts\n");
    expect((create(["b", "--migrations", "db/flag"], cwd, { MIGRATIONS_DIR: "db/env" })).stdout).toBe("db/flag/0001_b.ts\n");
    expect(readdirSync(join(cwd, "db/env"))).toEqual(["0001_a.ts"]);
    expect(readdirSync(join(cwd, "db/flag"))).toEqual(["0001_b.ts"]);
  });

  it("writes a commented .sql file with --sql", () => {
    const cwd = appDir({ "0003_a.ts": "" });
    expect((create(["add email", "--sql"], cwd)).stdout).toBe("migrations/0004_add_email.sql\n");
    const text = readFileSync(join(cwd, "migrations/0004_add_email.sql"), "utf8");
    expect(text.split("\n")[0]).toBe(`-- 0004_add_email.sql: DDL run as dataDefinition (see "Writing a migration" in the migration service's README).`);
    expect(text.split("\n").filter((line) => line !== "").every((line) => line.startsWith("--"))).toBe(true);
  });

  it("writes a template that imports the package and refuses to load until its tables are filled in", async () => {
    const cwd = appDir();
    create(["add email"], cwd);
    const file = join(cwd, "migrations/0001_add_email.ts");
    expect(readFileSync(file, "utf8")).toContain('import { defineMigration } from "migration-service";');
    await expect(loadMigrations(join(cwd, "migrations"))).rejects.toThrow('Migration file "0001_add_email.ts" is invalid: `tables` must be a non-empty array of table names');
    writeFileSync(file, readFileSync(file, "utf8").replace("tables: [],", 'tables: ["customer"],'));
    expect((await loadMigrations(join(cwd, "migrations"))).map((m) => [m.name, m.migration.tables])).toEqual([["0001_add_email", ["customer"]]]);
  });

  it("refuses a description without a letter or digit, and unknown flags, with exit 2 and the usage", async () => {
    const terminal = fakeTerminal(false);
    expect(await runCliInProcess(["create", "--", "-!-"], {}, terminal)).toBe(2);
    expect(terminal.stderr.join("\n")).toMatch(/^migrations create needs a description with a letter or digit[^]*Usage: migrations create/);
    const flags = fakeTerminal(false);
    expect(await runCliInProcess(["create", "x", "--sqll"], {}, flags)).toBe(2);
    expect(flags.stderr.join("\n")).toMatch(/^Unknown option '--sqll'[^]*Usage: migrations create/);
  });

  it("fails with exit 1 when the migrations directory is a file, writing nothing", () => {
    const cwd = appDir();
    writeFileSync(join(cwd, "migrations"), "not a directory");
    const result = create(["x"], cwd);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(new RegExp(`^Cannot read the migrations directory "${join(cwd, "migrations")}": `));
    expect(readFileSync(join(cwd, "migrations"), "utf8")).toBe("not a directory");
  });

  it("is a command of the real executable, listed in its help", async () => {
    const cwd = appDir({ "0001_a.ts": "" });
    expect(await runCli(["create", "second", "step"], { cwd })).toEqual({ code: 0, stdout: "migrations/0002_second_step.ts\n", stderr: "" });
    const help = await runCli(["--help"]);
    expect(help.stdout).toMatch(/^ {2}create +write the next numbered migration file/m);
  });
});
