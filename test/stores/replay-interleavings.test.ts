import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { chainRows } from "../../src/engine/transform-rows.ts";
import type { Row } from "../../src/migrations/types.ts";
import { openStore } from "../../src/stores/open-store.ts";
import { replayBatch } from "../../src/stores/range-mover.ts";
import type { ShadowSession, Store } from "../../src/stores/store.ts";
import { claimOn } from "../helpers/claim.ts";
import { STORE_TARGETS, type TestDatabase } from "../helpers/store-targets.ts";

/** The transform replayed rows go through: a pure function of the row, which also reads the key. */
const transform = (row: Row): Row | null => (Number(row.v) % 7 === 3 ? null : { ...row, v: Number(row.v) * 10 + (Number(row.id) % 10) });

/** One step of the application or of the replayer. */
type Step =
  | { op: "insert"; id: number; v: number }
  | { op: "update"; id: number; v: number }
  | { op: "rekey"; id: number; to: number }
  | { op: "delete"; id: number }
  | { op: "replay"; batch: number };

const KEYS = 12;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), id: fc.integer({ min: 1, max: KEYS }), v: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ op: fc.constant("update" as const), id: fc.integer({ min: 1, max: KEYS }), v: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ op: fc.constant("rekey" as const), id: fc.integer({ min: 1, max: KEYS }), to: fc.integer({ min: 1, max: KEYS }) }),
  fc.record({ op: fc.constant("delete" as const), id: fc.integer({ min: 1, max: KEYS }) }),
  fc.record({ op: fc.constant("replay" as const), batch: fc.integer({ min: 1, max: 4 }) }),
);

/** The application's write of a step, as one statement that may match nothing or conflict (then it changes nothing, as a refused write would). */
function sqlOf(s: Exclude<Step, { op: "replay" }>): string {
  switch (s.op) {
    case "insert":
      return `INSERT INTO t (id, v) VALUES (${s.id}, ${s.v})`;
    case "update":
      return `UPDATE t SET v = ${s.v} WHERE id = ${s.id}`;
    case "rekey":
      return `UPDATE t SET id = ${s.to} WHERE id = ${s.id}`;
    case "delete":
      return `DELETE FROM t WHERE id = ${s.id}`;
  }
}

for (const target of STORE_TARGETS) {
  describe(`replay of captured changes under random interleavings (${target.name})`, () => {
    let db: TestDatabase;
    let store: Store;
    let session: ShadowSession;
    let round = 0;
    afterAll(async () => {
      await session?.close();
      await store?.close();
      await db?.drop();
    });

    it("after any interleaving of writes and replay batches, the shadow equals the transform of the origin", async () => {
      db = await target.create();
      await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)");
      store = await openStore(db.url);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: KEYS }), fc.array(step, { minLength: 1, maxLength: 40 }), async (seed, steps) => {
          const owner = `test:1:x.${++round}`;
          await session?.close();
          await db.exec("DELETE FROM t");
          if (seed.length > 0) await db.exec(`INSERT INTO t (id, v) VALUES ${seed.map((v, i) => `(${i + 1}, ${v})`).join(", ")}`);
          const claimed = await claimOn(store, owner, { protect: [{ table: "t", message: "t is migrating", capture: true }] });
          expect(claimed, JSON.stringify((await store.snapshot()).command)).toBe(true);
          try {
            await store.clearShadow(owner);
            session = await store.openSession({ verbose: false, log: () => {} });
            // The bulk pass: the copy goes through the transform, while capture already logs.
            await session.copyToShadow("t");
            const bulk = await session.db.query("SELECT * FROM t ORDER BY id");
            await session.db.exec("DELETE FROM t");
            for (const row of (await chainRows({ table: "t", columns: ["id", "v"], writableColumns: ["id", "v"], keyColumns: ["id"] }, [transform], bulk)).filter((r) => r !== null)) {
              await session.db.exec(`INSERT INTO t (id, v) VALUES (${Number(row!.id)}, ${Number(row!.v)})`);
            }
            const plan = await session.replayPlan("t", owner);
            const map = (rows: Row[]) => chainRows(plan.shape, [transform], rows);
            for (const s of steps) {
              if (s.op === "replay") await replayBatch({ ...plan, batch: s.batch }, map);
              else await db.exec(sqlOf(s)).catch(() => {});
            }
            while ((await replayBatch(plan, map)) > 0);
            const origin = await db.query("SELECT id, v FROM t ORDER BY id");
            const expected = origin.map((r) => transform({ id: Number(r.id), v: Number(r.v) })).filter((r) => r !== null);
            const shadow = (await session.db.query("SELECT id, v FROM t ORDER BY id")).map((r) => ({ id: Number(r.id), v: Number(r.v) }));
            expect(shadow).toEqual(expected);
            expect((await store.snapshot()).guarded).toEqual([{ table: "t", mode: "captured", backlog: 0, replayed: expect.any(Number) }]);
            expect(await store.completeCommand(owner, [], null, true)).toBe(true);
            expect((await store.snapshot()).guarded).toEqual([]);
          } finally {
            await store.completeCommand(owner, [], "ended by the test", true);
            await store.releaseRunLock(owner);
          }
        }),
        { numRuns: 25 },
      );
    }, 240_000);
  });
}

describe("replay of keys JSON could not carry (sqlite)", () => {
  it("a WITHOUT ROWID table keyed by text and blob, and rowids beyond 2^53, replay exactly", async () => {
    const target = STORE_TARGETS.find((t) => t.name === "sqlite")!;
    const db = await target.create();
    const store = await openStore(db.url);
    const owner = "test:1:keys.1";
    try {
      await db.exec(`CREATE TABLE k (a TEXT, b BLOB, v INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
        INSERT INTO k VALUES ('x', X'00FF', 1), ('it''s', X'', 2);
        CREATE TABLE big (v INTEGER NOT NULL); INSERT INTO big (rowid, v) VALUES (9007199254740993, 1), (5, 2);`);
      expect(await claimOn(store, owner, { protect: ["k", "big"].map((table) => ({ table, message: "migrating", capture: true })) })).toBe(true);
      const session = await store.openSession({ verbose: false, log: () => {} });
      try {
        await session.copyToShadow("k");
        await session.copyToShadow("big");
        await db.exec(`UPDATE k SET v = 10 WHERE a = 'x'; DELETE FROM k WHERE a = 'it''s'; INSERT INTO k VALUES ('y', X'01', 3);
          UPDATE big SET v = 20 WHERE rowid = 9007199254740993; DELETE FROM big WHERE rowid = 5;`);
        for (const table of ["k", "big"]) {
          const plan = await session.replayPlan(table, owner);
          while ((await replayBatch(plan, async (rows) => rows)) > 0);
        }
        expect(await session.db.query("SELECT a, hex(b) AS b, v FROM k ORDER BY a")).toEqual([
          { a: "x", b: "00FF", v: 10 },
          { a: "y", b: "01", v: 3 },
        ]);
        expect(await session.db.query("SELECT CAST(rowid AS TEXT) AS id, v FROM big")).toEqual([{ id: "9007199254740993", v: 20 }]);
      } finally {
        await session.close();
      }
    } finally {
      await store.completeCommand(owner, [], null, true);
      await store.close();
      await db.drop();
    }
  });
});
