import { spawn } from "node:child_process";
import { join } from "node:path";
import type { PostgresTestDatabase } from "./postgres-target.ts";
import type { TestDatabase } from "./store-targets.ts";

/** An application transaction held open on another connection, until `commit`. */
export interface HeldTransaction {
  /** Commits the transaction and ends the connection. */
  commit(): Promise<void>;
}

/** The SQLite holder: a process of its own, so that no thread of the service's process waits behind it. */
const SQLITE_HOLDER = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1]);
db.pragma("busy_timeout = 60000");
db.exec("BEGIN IMMEDIATE");
db.exec(process.argv[2]);
process.stdout.write("held\\n");
process.stdin.once("data", () => { db.exec("COMMIT"); db.close(); process.stdout.write("committed\\n"); });
`;

/**
 * Opens a write transaction as an application would, runs `sql` in it and keeps it open: on PostgreSQL a
 * connection named `application` (its row locks and RowExclusiveLock stay held), on SQLite a separate process
 * holding the database's write lock. Resolves once the transaction holds its locks.
 */
export async function holdWriteTransaction(storeName: string, db: TestDatabase, sql: string, application = "shop-app"): Promise<HeldTransaction> {
  if (storeName === "postgres") {
    const client = await (db as PostgresTestDatabase).connect();
    await client.query(`SET application_name = '${application}'`);
    await client.query("BEGIN");
    await client.query(sql);
    return {
      async commit() {
        await client.query("COMMIT");
        await client.end();
      },
    };
  }
  const path = db.url.replace(/^sqlite:/, "");
  const child = spawn(process.execPath, ["-e", SQLITE_HOLDER, path, sql], { cwd: join(import.meta.dirname, "../.."), stdio: ["pipe", "pipe", "pipe"] });
  let printed = "";
  let errors = "";
  let exited = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on("data", (chunk: Buffer) => ((printed += chunk.toString()), wake()));
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  child.once("exit", () => ((exited = true), wake()));
  const printedLine = async (line: string): Promise<void> => {
    while (!printed.includes(`${line}\n`)) {
      if (exited) throw new Error(`the holder process ended before "${line}": ${errors}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  await printedLine("held");
  return {
    async commit() {
      child.stdin.write("commit\n");
      await printedLine("committed");
      child.stdin.end();
    },
  };
}
