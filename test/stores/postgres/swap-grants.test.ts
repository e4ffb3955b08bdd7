import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { PgEngineFixture } from "./pg-engine-fixture.ts";

let fx: PgEngineFixture;
const role = `mig_reader_${randomBytes(4).toString("hex")}`;
afterEach(async () => {
  await fx?.sql.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`).catch(() => {});
  await fx?.dispose();
});

describe("privileges survive the swap", () => {
  it("grants on a swapped table and on a view over it are restored", async () => {
    fx = await PgEngineFixture.create(`
      CREATE ROLE ${role};
      CREATE TABLE item (id integer PRIMARY KEY, name text);
      CREATE VIEW item_names AS SELECT name FROM item;
      GRANT SELECT, INSERT ON item TO ${role};
      GRANT SELECT ON item_names TO ${role} WITH GRANT OPTION;`);
    const store = await fx.openStore();
    fx.write("0001_label.mjs", `export default { tables: ["item"], dataDefinition: (db) => db.exec("ALTER TABLE item ADD COLUMN label text") };`);
    expect((await fx.run("finalize", store)).exception).toBeNull();
    const privileges = await fx.rows(
      `SELECT table_name, privilege_type, is_grantable FROM information_schema.role_table_grants WHERE grantee = $1 ORDER BY 1, 2`,
      [role],
    );
    expect(privileges).toEqual([
      { table_name: "item", privilege_type: "INSERT", is_grantable: "NO" },
      { table_name: "item", privilege_type: "SELECT", is_grantable: "NO" },
      { table_name: "item_names", privilege_type: "SELECT", is_grantable: "YES" },
    ]);
  });
});
