import { describe, expect, it } from "vitest";
import { addColumn, createIndex, dropColumn, dropIndex, renameColumn, sql } from "../../src/index.ts";
import { alterStatement, deferredSteps } from "../../src/stores/alter-sql.ts";

describe("the authoring helpers build the plain objects a file may also write by hand", () => {
  it("sql`…` keeps the text and turns interpolated values into literals", () => {
    expect(sql`first_name || ' ' || last_name`).toEqual({ sql: "first_name || ' ' || last_name" });
    expect(sql`coalesce(note, ${"it's"}) || ${3} || ${null}`).toEqual({ sql: "coalesce(note, 'it''s') || 3 || NULL" });
    expect(() => sql`x = ${{} as unknown as string}`).toThrow("An SQL literal must be a string, a finite number or null, not object");
  });

  it("each step helper returns its plain form", () => {
    expect(addColumn("nickname", "text", { default: "none", notNull: true })).toEqual({ addColumn: { name: "nickname", type: "text", default: "none", notNull: true } });
    expect(dropColumn("a")).toEqual({ dropColumn: "a" });
    expect(renameColumn("a", "b")).toEqual({ renameColumn: { from: "a", to: "b" } });
    expect(createIndex("i", ["a", "b"], { unique: true })).toEqual({ createIndex: { name: "i", columns: ["a", "b"], unique: true } });
    expect(dropIndex("i")).toEqual({ dropIndex: "i" });
  });
});

describe("alterStatement renders a step per dialect", () => {
  const pg = { dialect: "postgres" as const, schema: "public", table: "person" };
  const lite = { dialect: "sqlite" as const, schema: "main", table: "person" };

  it("columns: the same SQL on both stores, defaults as constants", () => {
    expect(alterStatement(pg, addColumn("active", "boolean", { default: true, notNull: true }))).toBe('ALTER TABLE "public"."person" ADD COLUMN "active" boolean DEFAULT TRUE NOT NULL');
    expect(alterStatement(lite, addColumn("note", "text"))).toBe('ALTER TABLE "main"."person" ADD COLUMN "note" text');
    expect(alterStatement(lite, renameColumn("a", "b"))).toBe('ALTER TABLE "main"."person" RENAME COLUMN "a" TO "b"');
  });

  it("indexes: PostgreSQL may build and drop them concurrently; SQLite names the schema on the index", () => {
    expect(alterStatement(pg, createIndex("person_name", ["last_name", "first_name"], { unique: true }), true)).toBe(
      'CREATE UNIQUE INDEX CONCURRENTLY "person_name" ON "public"."person" ("last_name", "first_name")',
    );
    expect(alterStatement(lite, createIndex("person_name", ["last_name"]), true)).toBe('CREATE INDEX "main"."person_name" ON "person" ("last_name")');
    expect(alterStatement(pg, dropIndex("person_name"))).toBe('DROP INDEX "public"."person_name"');
  });
});

describe("deferredSteps: what the finalize swap applies to original tables, and when", () => {
  it("skips replaced tables; builds an index early unless a column step of its table comes first", () => {
    const { early, locked } = deferredSteps(
      [
        { table: "a", steps: [createIndex("a_x", ["x"]), addColumn("y", "text"), createIndex("a_y", ["y"])] },
        { table: "b", steps: [addColumn("z", "text")] },
        { table: "c", steps: [createIndex("c_x", ["x"])] },
      ],
      new Set(["b"]),
    );
    expect(early.map((s) => `${s.table}:${JSON.stringify(s.step)}`)).toEqual([`a:${JSON.stringify(createIndex("a_x", ["x"]))}`, `c:${JSON.stringify(createIndex("c_x", ["x"]))}`]);
    expect(locked).toEqual([{ table: "a", step: addColumn("y", "text") }, { table: "a", step: createIndex("a_y", ["y"]) }]);
  });
});
