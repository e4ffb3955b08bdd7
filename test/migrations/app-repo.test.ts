import Database from "better-sqlite3";
import { execFile } from "node:child_process";
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationTemplate } from "../../src/cli/migration-template.ts";
import { PACKAGE_ROOT } from "../../src/config/package-root.ts";
import { startServe, type ServeProcess } from "../cli/cli-process.ts";
import { makeTempDir } from "../helpers/migration-fixtures.ts";
import { fencedBlocks } from "../readme/readme-blocks.ts";

const run = promisify(execFile);

/** An application's migrations as its developers write them: a value import, a types-only import, no import. */
const APP_MIGRATIONS: Record<string, string> = {
  "0001_customer_full_name.ts": `import { addColumn, defineMigration, sql } from "migration-service";

export default defineMigration({
  tables: ["customer", "orders"],
  alter: { customer: [addColumn("full_name", "text")] },
  transform: {
    customer: { full_name: sql\`first_name || \${" "} || last_name\` },
    orders: (row) => ({ ...row, note: String(row.note).trim() }),
  },
});
`,
  // The README's types-only example, verbatim.
  "0002_invoice_amount_in_cents.ts": fencedBlocks("ts").find((block) => block.includes("satisfies Migration"))!,
  "0003_invoice_index.mjs": `export default { tables: [], alter: { invoice: [{ createIndex: { name: "invoice_amount", columns: ["amount"] } }] } };
`,
};

const SCHEMA = `CREATE TABLE customer (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE invoice (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
INSERT INTO customer VALUES (1, 'Ada', 'Lovelace'), (2, 'Alan', 'Turing');
INSERT INTO orders VALUES (1, '  gift wrap  '), (2, 'none');
INSERT INTO invoice VALUES (1, 100), (2, 250);`;

/** An application repo (outside this one): package.json, migrations/ and an SQLite database `app.db`. */
function writeApp(dir: string, packageJson: object): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify(packageJson));
  mkdirSync(join(dir, "migrations"));
  for (const [name, source] of Object.entries(APP_MIGRATIONS)) writeFileSync(join(dir, "migrations", name), source);
  const db = new Database(join(dir, "app.db"));
  db.exec(SCHEMA);
  db.close();
}

/** Finalizes through the JSON route, waits for the end, and returns the final stats. */
async function finalize(server: ServeProcess): Promise<Record<string, unknown>> {
  const post = async (cmd: string) => {
    const response = await fetch(`${server.url}/internal/migrations/`, { method: "POST", headers: { Authorization: "ZGV2" }, body: JSON.stringify({ cmd }) });
    return (await response.json()) as Record<string, unknown>;
  };
  await post("finalize");
  const deadline = Date.now() + 60_000;
  for (;;) {
    const stats = (await post("stats")).stats as Record<string, unknown>;
    if (!String(stats.status).endsWith("_running") || Date.now() > deadline) return stats;
    await new Promise((next) => setTimeout(next, 50));
  }
}

/** Serves the app's migrations from `bin` in `app`, finalizes, and checks the rows every migration changed. */
async function serveAndFinalize(app: string, bin?: string): Promise<void> {
  const server = await startServe(["--migrations", "./migrations", "--database", "sqlite:./app.db", "--dev", "--port", "0", "--workers", "1"], { cwd: app, bin });
  try {
    expect(await finalize(server)).toMatchObject({ status: "finalized", current_migration_index: 3 });
  } finally {
    await server.stop();
  }
  const db = new Database(join(app, "app.db"), { readonly: true });
  try {
    expect(db.prepare("SELECT id, full_name FROM customer ORDER BY id").all()).toEqual([{ id: 1, full_name: "Ada Lovelace" }, { id: 2, full_name: "Alan Turing" }]);
    expect(db.prepare("SELECT note FROM orders ORDER BY id").all()).toEqual([{ note: "gift wrap" }, { note: "none" }]);
    expect(db.prepare("SELECT amount FROM invoice ORDER BY id").all()).toEqual([{ amount: 10000 }, { amount: 25000 }]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'invoice_amount'").all()).toEqual([{ name: "invoice_amount" }]);
  } finally {
    db.close();
  }
}

describe("migrations in an application's own repo", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** A fresh temp directory, removed after the suite. */
  const tempDir = (prefix: string) => {
    const dir = makeTempDir(prefix);
    dirs.push(dir);
    return dir;
  };

  describe("with the package installed from its npm pack tarball", () => {
    let packed: string[];
    let app: string;
    beforeAll(async () => {
      const out = tempDir("mig-pack-");
      // `npm pack` runs `prepare`, which builds dist/.
      const env = { ...process.env, npm_config_update_notifier: "false" };
      const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", out], { cwd: PACKAGE_ROOT, env });
      const [{ filename, files }] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
      packed = files.map((file) => file.path);
      app = tempDir("mig-app-");
      writeApp(app, { name: "app", private: true });
      // What `npm install ./migration-service-0.1.0.tgz` makes of it, with the dependencies this repo has installed.
      await run("tar", ["-xzf", join(out, filename), "-C", out]);
      mkdirSync(join(app, "node_modules"));
      renameSync(join(out, "package"), join(app, "node_modules/migration-service"));
      symlinkSync(join(PACKAGE_ROOT, "node_modules"), join(app, "node_modules/migration-service/node_modules"));
    }, 180_000);

    it("holds the built JS and types, the executable and the sources it runs, and no tests", () => {
      for (const file of ["package.json", "README.md", "bin/migrations.mjs", "dist/index.js", "dist/index.d.ts", "dist/client.js", "dist/client.d.ts", "src/cli/main.ts", "src/runner/worker.mjs", "src/migrations/register-service-imports.mjs", "proto/migrations/v1/migrations.proto"]) {
        expect(packed).toContain(file);
      }
      expect(packed.filter((file) => /^(test|bench|docs|node_modules|data)\//.test(file))).toEqual([]);
    });

    it("lets the app's TypeScript check its migrations, a `create` template and a client against the built types", async () => {
      writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, types: [], skipLibCheck: true },
        include: ["migrations/*.ts", "src/*.ts"],
      }));
      mkdirSync(join(app, "src"));
      writeFileSync(join(app, "src/new-migration.ts"), migrationTemplate("0004_new.ts", "ts"));
      // Each @ts-expect-error fails the check if the types were missing (any) instead of the package's.
      writeFileSync(join(app, "src/uses-client.ts"), `import { defineMigration, sql, type SqlExpression } from "migration-service";
import { MigrationState, type StatsResponse } from "migration-service/client";

// @ts-expect-error \`tables\` is a list of table names
defineMigration({ tables: "customer" });
export const expression: SqlExpression = sql\`lower(\${"A"})\`;
export const running: MigrationState = MigrationState.MIGRATION_RUNNING;
// @ts-expect-error no such state
export const unknown = MigrationState.NO_SUCH_STATE;
export const status = (stats: StatsResponse): MigrationState => stats.status;
`);
      const tsc = join(PACKAGE_ROOT, "node_modules/typescript/bin/tsc");
      const result = await run(process.execPath, [tsc, "-p", join(app, "tsconfig.json")], { cwd: app }).catch((error: { stdout: string }) => error);
      expect(result.stdout).toBe("");
    }, 120_000);

    it("lets the app's own code import the authoring API and the client as plain JavaScript", async () => {
      const script = `import { addColumn, sql } from "migration-service";
import { MigrationState } from "migration-service/client";
console.log(JSON.stringify([sql\`lower(\${"A"})\`, addColumn("paid", "boolean", { default: false }), MigrationState.MIGRATION_RUNNING]));`;
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: app });
      expect(JSON.parse(stdout)).toEqual([{ sql: "lower('A')" }, { addColumn: { name: "paid", type: "boolean", default: false } }, 2]);
    });

    it("serves the app's migrations with the installed executable and finalizes them", async () => {
      await serveAndFinalize(app, join(app, "node_modules/migration-service/bin/migrations.mjs"));
    }, 120_000);
  });

  it("loads migrations that import migration-service when the app has not installed it", async () => {
    const app = tempDir("mig-bare-app-");
    writeApp(app, { name: "bare-app", private: true, type: "module" });
    await serveAndFinalize(app);
  }, 120_000);
});
