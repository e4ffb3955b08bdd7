import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations } from "../../src/migrations/loader.ts";
import { MigrationFileError } from "../../src/migrations/migration-file-error.ts";
import { runCli } from "../cli/cli-process.ts";
import { makeTempDir } from "../helpers/migration-fixtures.ts";
import { sqliteTarget } from "../helpers/store-targets.ts";
import { startTestService } from "../helpers/test-service.ts";

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

/** A migrations directory holding `files`; `module` adds a package.json with "type": "module". */
function migrationsDir(files: Record<string, string>, module: boolean): string {
  const dir = makeTempDir("mig-syntax-");
  dirs.push(dir);
  if (module) writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  return dir;
}

// The `}` at line 4, column 92 follows a `+` with no operand; the type annotation on line 3 is valid TypeScript (a JavaScript
// parser would stop there).
const TYPESCRIPT = `import type { Migration } from "migration-service";

const suffix: string = "!";
export default { tables: ["item"], transform: { item: (row) => ({ ...row, name: row.name + }) } } satisfies Migration;
`;
// A missing closing brace: the file ends on line 3 (column 1 of the empty last line), where a property name was due.
const JAVASCRIPT = `export default {
  tables: ["item"],
`;

describe("a migration file with a syntax error", () => {
  for (const module of [true, false]) {
    const kind = module ? 'in a "type": "module" package' : "in a CommonJS directory";
    it(`names file:line:column and TypeScript's message for a .ts file ${kind}`, async () => {
      const dir = migrationsDir({ "0001_bad.ts": TYPESCRIPT }, module);
      const error = await loadMigrations(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationFileError);
      expect((error as Error).message).toBe(`Migration file "0001_bad.ts" cannot be imported: syntax error at ${join(dir, "0001_bad.ts")}:4:92: Unexpected "}"`);
    });
  }

  it.each(["0001_bad.mjs", "0001_bad.js"])("names file:line:column and the parser's message for %s", async (name) => {
    const dir = migrationsDir({ [name]: JAVASCRIPT }, true);
    const error = await loadMigrations(dir).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`Migration file "${name}" cannot be imported: syntax error at ${join(dir, name)}:3:1: Expected identifier but found end of file`);
  });

  it("counts the column in characters, not bytes, after non-ASCII text on the line", async () => {
    const dir = migrationsDir({ "0001_bad.mjs": `export default { tables: ["café"], note: "ü€" + };\n` }, true);
    const error = await loadMigrations(dir).catch((e: unknown) => e);
    // The `}` is character 49 of the line (it is byte 53).
    expect((error as Error).message).toMatch(/0001_bad\.mjs:1:49: Unexpected "}"$/);
  });

  it("keeps the loader's own message when the file parses but its import fails", async () => {
    const dir = migrationsDir({ "0001_missing.mjs": `import "./nowhere.mjs";\nexport default { tables: ["item"] };\n` }, true);
    const error = await loadMigrations(dir).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Migration file "0001_missing.mjs" cannot be imported: .*nowhere\.mjs/);
    expect((error as Error).message).not.toContain("syntax error");
  });

  it("stops `migrations serve` at start-up with that one line", async () => {
    const dir = migrationsDir({ "0001_bad.ts": TYPESCRIPT }, false);
    const result = await runCli(["serve", "--migrations", dir, "--database", `sqlite:${join(dir, "app.db")}`, "--dev", "--port", "0"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`Migration file "0001_bad.ts" cannot be imported: syntax error at ${join(dir, "0001_bad.ts")}:4:92: Unexpected "}"`);
  });

  it("fails the command that loads it, as its exception, when the file broke after start-up", async () => {
    const dir = migrationsDir({ "0001_ok.ts": `export default { tables: ["item"], transform: { item: (row: Record<string, unknown>) => row } };\n` }, false);
    const db = await sqliteTarget.create();
    await db.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO item VALUES (1, 'a');");
    const service = await startTestService(db, dir);
    try {
      writeFileSync(join(dir, "0001_ok.ts"), TYPESCRIPT);
      await service.post({ cmd: "migrate" });
      const stats = await service.settle();
      expect(stats).toMatchObject({ status: "migration_failed" });
      expect(stats.exception).toContain(`Migration file "0001_ok.ts" cannot be imported: syntax error at ${join(dir, "0001_ok.ts")}:4:92: Unexpected "}"`);
      expect(await db.query("SELECT id, name FROM item")).toEqual([{ id: 1, name: "a" }]);
    } finally {
      await service.close();
      await db.drop();
    }
  });
});
