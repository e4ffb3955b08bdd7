import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresTarget } from "./postgres-target.ts";

/** A fresh, empty database of one store, owned by one test. */
export interface TestDatabase {
  /** The `--database` URL. */
  url: string;
  /** Runs SQL directly against the origin (for setup and assertions), returning rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs a script of several statements directly against the origin. */
  exec(sql: string): Promise<void>;
  /** Drops everything this database holds. */
  drop(): Promise<void>;
}

/** A store the conformance suite loops over. */
export interface StoreTarget {
  /** `sqlite` or `postgres`. */
  name: string;
  /** Creates a fresh empty database. */
  create(): Promise<TestDatabase>;
}

/** The embedded default: a SQLite file in a fresh temp directory. */
export const sqliteTarget: StoreTarget = {
  name: "sqlite",
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "mig-sqlite-"));
    const path = join(dir, "test.db");
    return {
      url: `sqlite:${path}`,
      async query(sql) {
        const db = new Database(path);
        try {
          db.pragma("busy_timeout = 5000");
          const stmt = db.prepare(sql);
          return stmt.reader ? (stmt.all() as Record<string, unknown>[]) : (stmt.run(), []);
        } finally {
          db.close();
        }
      },
      async exec(sql) {
        const db = new Database(path);
        try {
          db.pragma("busy_timeout = 5000");
          db.exec(sql);
        } finally {
          db.close();
        }
      },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Every store the conformance suite runs against. */
export const STORE_TARGETS: StoreTarget[] = [sqliteTarget, postgresTarget];
