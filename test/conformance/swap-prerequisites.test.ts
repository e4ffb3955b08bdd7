import { afterEach, describe, expect, it } from "vitest";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { serveFresh } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Customers with a unique email, a view over them and invoices that reference the email. */
const CUSTOMER_SCHEMA = `
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
CREATE UNIQUE INDEX customer_email ON customer (email);
INSERT INTO customer (id, name, email) VALUES (1, 'Ada', 'ada@example.org'), (2, 'Bob', NULL), (3, 'Cy', 'cy@example.org');
CREATE VIEW active_customers AS SELECT id, email FROM customer WHERE email IS NOT NULL;
CREATE TABLE invoice (id INTEGER PRIMARY KEY, customer_email TEXT REFERENCES customer (email));
`;

const DROP_EMAIL = `export default {
  tables: ["customer"],
  async dataDefinition(db) {
    await db.exec("DROP INDEX customer_email");
    await db.exec("ALTER TABLE customer DROP COLUMN email");
  },
};
`;

const ADD_PHONE = `export default {
  tables: ["customer"],
  async dataDefinition(db) { await db.exec("ALTER TABLE customer ADD COLUMN phone TEXT"); },
  transform: { customer: (row) => ({ ...row, phone: "+" + row.id }) },
};
`;

const ACTIVE = [{ id: 1, email: "ada@example.org" }, { id: 3, email: "cy@example.org" }];

for (const target of STORE_TARGETS) {
  describe(`finalize's prerequisites, checked at the end of migrate (${target.name})`, () => {
    it("a migrate whose new shape breaks a view and a foreign key (SQLite: and a trigger) fails at its end naming each; the originals and the view work as before", async () => {
      // SQLite compiles trigger bodies only when they fire: one on another table that writes the column is caught too.
      const trigger = target.name === "sqlite"
        ? "CREATE TRIGGER invoice_fills_email AFTER INSERT ON invoice BEGIN UPDATE customer SET email = NEW.customer_email WHERE id = NEW.id; END;"
        : "";
      const { db, service } = await serveFresh(target, `${CUSTOMER_SCHEMA}${trigger}`, { "0004_drop_email.mjs": DROP_EMAIL }, cleanups);

      await service.post({ cmd: "migrate", verbose: true });
      const failed = await service.settle();
      expect(failed.status).toBe("migration_failed");
      const exception = String(failed.exception);
      expect(exception).toMatch(/^Finalize could not swap the migrated tables in: /);
      expect(exception).toContain('view "active_customers" uses column customer.email, which migration 0004_drop_email drops or renames');
      if (target.name === "postgres") {
        expect(exception).toContain('foreign key "invoice_customer_email_fkey" of table "invoice" references column customer.email, which migration 0004_drop_email drops or renames');
      } else {
        expect(exception).toContain('trigger "invoice_fills_email" on table "invoice" uses column customer.email, which migration 0004_drop_email drops or renames');
        expect(exception).toContain('foreign key (customer_email) of table "invoice" references column customer.email, which migration 0004_drop_email drops or renames');
      }
      expect(String(failed.output)).toContain(`migration 0004_drop_email failed: ${exception}`);

      // The originals are untouched and writable; the view reads them as before.
      expect(await db.query("SELECT id, email FROM active_customers ORDER BY id")).toEqual(ACTIVE);
      await db.exec("INSERT INTO customer (id, name, email) VALUES (4, 'Di', 'di@example.org')");
      expect(await db.query("SELECT id FROM active_customers ORDER BY id")).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);
      expect((await service.post({ cmd: "reset" })).status).toBe(200);
      expect((await service.settle()).status).toBe("migration_required");
    });

    it("a migrate whose new shape fits says so in its verbose output, and finalize re-creates the view over the new table", async () => {
      const { db, service } = await serveFresh(target, CUSTOMER_SCHEMA, { "0005_add_phone.mjs": ADD_PHONE }, cleanups);
      await service.post({ cmd: "migrate", verbose: true });
      const migrated = await service.settle();
      expect(migrated.status, String(migrated.exception)).toBe("finalization_required");
      expect(String(migrated.output)).toMatch(/^migration: finalize prerequisites ok \(the views, triggers and foreign keys over the migrated tables fit their new shape\)$/m);
      expect((await service.post({ cmd: "finalize" })).status).toBe(200);
      expect((await service.settle()).status).toBe("finalized");
      expect(await db.query("SELECT id, email FROM active_customers ORDER BY id")).toEqual(ACTIVE);
      expect(await db.query("SELECT phone FROM customer WHERE id = 3")).toEqual([{ phone: "+3" }]);
      // The invoices' key into the unique index came over with the copy (PostgreSQL enforces it; SQLite only with foreign_keys on).
      await db.exec("INSERT INTO invoice (id, customer_email) VALUES (1, 'cy@example.org')");
      if (target.name === "postgres") await expect(db.exec("INSERT INTO invoice (id, customer_email) VALUES (2, 'nobody@example.org')")).rejects.toThrow(/foreign key/);
    });
  });
}
