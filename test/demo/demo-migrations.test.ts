import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEMO_MIGRATIONS_DIR } from "../../src/config/package-root.ts";
import { loadDemoMigrations } from "./load-demo-migrations.ts";

describe("demo migration files", () => {
  it("are named NNNN_description.ts with indexes 1, 2, 3", () => {
    const files = readdirSync(DEMO_MIGRATIONS_DIR).sort();
    expect(files).toEqual(["0001_add_customer_full_name.ts", "0002_split_customer_address.ts", "0003_create_loyalty_account.ts"]);
  });

  it("export valid migrations: non-empty tables of names, transform keys within tables, functions where members are set", async () => {
    for (const { file, migration } of await loadDemoMigrations()) {
      expect(migration, file).toBeTypeOf("object");
      expect(migration.tables.length, file).toBeGreaterThan(0);
      for (const table of migration.tables) expect(table, file).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(new Set(migration.tables).size, file).toBe(migration.tables.length);
      for (const key of Object.keys(migration.transform ?? {})) expect(migration.tables, file).toContain(key);
      for (const member of ["checkPrerequisites", "dataDefinition", "dataManipulation", "cleanup"] as const) {
        if (migration[member] !== undefined) expect(migration[member], `${file} ${member}`).toBeTypeOf("function");
      }
    }
  });

  it("cover a transform, a table split in two and a new table", async () => {
    const [first, second, third] = (await loadDemoMigrations()).map((m) => m.migration);
    expect(Object.keys(first!.transform ?? {})).toEqual(["customer"]);
    expect(second!.tables).toEqual(["customer", "address"]);
    expect(third!.tables).toEqual(["loyalty_account"]);
  });
});
