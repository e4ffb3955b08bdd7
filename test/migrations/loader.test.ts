import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationFileError } from "../../src/migrations/migration-file-error.ts";
import { loadMigrations } from "../../src/migrations/loader.ts";
import { makeTempDir } from "../helpers/migration-fixtures.ts";

const OK = `export default { tables: ["item"] };`;
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A migrations directory holding `files` (name → source). */
function migrationsDir(files: Record<string, string>): string {
  dir = makeTempDir("mig-loader-");
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  return dir;
}

describe("loadMigrations", () => {
  it("loads .ts, .js and .mjs files sorted by index, with checksums, ignoring what is clearly no migration", async () => {
    const root = migrationsDir({
      "0010_last.mjs": OK,
      "0002_second.js": `export default { tables: ["a", "b"], transform: { a: (r) => r }, cleanup() {} };`,
      "0001_first.ts": `const tables: string[] = ["item"]; export default { tables };`,
      "README.md": "# notes",
      ".0003_hidden.mjs": "this is not even JS",
      "types.d.ts": "export type X = 1;",
    });
    mkdirSync(join(root, "fixtures"));
    const loaded = await loadMigrations(root);
    expect(loaded.map((m) => [m.index, m.name])).toEqual([
      [1, "0001_first"],
      [2, "0002_second"],
      [10, "0010_last"],
    ]);
    const sha = createHash("sha256").update(readFileSync(join(root, "0002_second.js"))).digest("hex");
    expect(loaded[1]).toMatchObject({ path: join(root, "0002_second.js"), checksum: sha });
    expect(loaded[1]!.migration.tables).toEqual(["a", "b"]);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["a missing directory", {}, /Migrations directory ".*nope" cannot be read/],
    ["a duplicate index", { "0001_a.mjs": OK, "1_b.mjs": OK }, /"0001_a.mjs" and "1_b.mjs" have the same index 1/],
    ["a bad name", { "add_users.mjs": OK }, /"add_users.mjs" has a bad name/],
    ["index zero", { "0000_zero.mjs": OK }, /"0000_zero.mjs" has a bad name: its index must be a positive integer/],
    ["no default export", { "0001_x.mjs": "export const tables = ['a'];" }, /"0001_x.mjs" is invalid: it has no default export/],
    ["a default export that is no object", { "0001_x.mjs": "export default 5;" }, /"0001_x.mjs" is invalid: its default export must be a migration object/],
    ["missing tables", { "0001_x.mjs": "export default {};" }, /"0001_x.mjs" is invalid: `tables` must be a non-empty array/],
    ["empty tables", { "0001_x.mjs": "export default { tables: [] };" }, /`tables` must be a non-empty array/],
    ["an empty table name", { "0001_x.mjs": "export default { tables: [''] };" }, /`tables` must contain only non-empty strings/],
    ["a table name that is no string", { "0001_x.mjs": "export default { tables: [3] };" }, /`tables` must contain only non-empty strings/],
    ["an unsafe table name", { "0001_x.mjs": `export default { tables: ['a"; DROP'] };` }, /table name "a"; DROP" in `tables` is not a plain identifier/],
    ["a reserved table name", { "0001_x.mjs": "export default { tables: ['_migration_state'] };" }, /uses a reserved prefix/],
    ["a transform key not in tables", { "0001_x.mjs": "export default { tables: ['a'], transform: { b: (r) => r } };" }, /`transform` has a key "b" that is not in `tables`/],
    ["a transform that is no function", { "0001_x.mjs": "export default { tables: ['a'], transform: { a: 1 } };" }, /`transform.a` must be a function/],
    ["a transform that is no object", { "0001_x.mjs": "export default { tables: ['a'], transform: 'x' };" }, /`transform` must be an object/],
    ["an SQL expression that is no text", { "0001_x.mjs": "export default { tables: ['a'], transform: { a: { b: { sql: 5 } } } };" }, /`transform.a.b` must be an SQL expression/],
    ["an empty set of SQL expressions", { "0001_x.mjs": "export default { tables: ['a'], transform: { a: {} } };" }, /`transform.a` must be a function or an object of SQL expressions/],
    ["an unknown alter step", { "0001_x.mjs": "export default { tables: [], alter: { a: [{ addTable: 'b' }] } };" }, /`alter.a\[0\]` must be one of addColumn, dropColumn/],
    ["an alter step with a computed default", { "0001_x.mjs": "export default { tables: [], alter: { a: [{ addColumn: { name: 'b', type: 'text', default: {} } }] } };" }, /default must be a constant/],
    ["a NOT NULL column without default", { "0001_x.mjs": "export default { tables: [], alter: { a: [{ addColumn: { name: 'b', type: 'text', notNull: true } }] } };" }, /a NOT NULL column needs a non-null default/],
    ["an index on no columns", { "0001_x.mjs": "export default { tables: [], alter: { a: [{ createIndex: { name: 'i', columns: [] } }] } };" }, /columns must be a non-empty array/],
    ["an unsafe column name", { "0001_x.mjs": `export default { tables: [], alter: { a: [{ dropColumn: 'b"; DROP' }] } };` }, /the name must be a plain identifier/],
    ["a member that is no function", { "0001_x.mjs": "export default { tables: ['a'], dataDefinition: 'ALTER' };" }, /`dataDefinition` must be a function/],
    ["a file that does not import", { "0001_x.mjs": "export default {" }, /"0001_x.mjs" cannot be imported/],
  ])("rejects %s with one MigrationFileError naming the file", async (_case, files, message) => {
    const root = migrationsDir(files);
    const target = Object.keys(files).length === 0 ? join(root, "nope") : root;
    const error = await loadMigrations(target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFileError);
    expect((error as Error).message).toMatch(message);
  });
});
