// An application that keeps writing while the service migrates its tables: a separate process with its own
// connection, one write per transaction, recording every write it saw committed. Started by app-workload.ts:
//   node --import tsx app-writer.ts <database-url> <seed>
// It prints "ready" once connected, writes until its standard input closes, then prints its record as JSON.
import Database from "better-sqlite3";
import pg from "pg";
import type { WriteRecord, WriterReport } from "./app-workload.ts";

const [url, seedText] = process.argv.slice(2);
if (!url) throw new Error("usage: app-writer.ts <database-url> [seed]");

/** One write in its own transaction: the statement's RETURNING rows, and the columns `person` had at commit. */
type Transact = (sql: string, params: unknown[]) => Promise<{ rows: number; personColumns: string[] }>;

async function sqliteTransact(): Promise<{ transact: Transact; close(): void }> {
  const db = new Database(url!.slice("sqlite:".length));
  db.pragma("busy_timeout = 30000");
  return {
    transact: async (sql, params) => {
      db.exec("BEGIN IMMEDIATE");
      try {
        const rows = db.prepare(sql).all(...params).length;
        const personColumns = db.prepare("SELECT * FROM person LIMIT 0").columns().map((c) => c.name);
        db.exec("COMMIT");
        return { rows, personColumns };
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
    close: () => db.close(),
  };
}

async function postgresTransact(): Promise<{ transact: Transact; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const placeholders = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    transact: async (sql, params) => {
      await client.query("BEGIN");
      try {
        const { rowCount } = await client.query(placeholders(sql), params);
        // Read after the write, in its transaction: a write to the old table holds a lock the swap waits for.
        const { fields } = await client.query("SELECT * FROM person LIMIT 0");
        await client.query("COMMIT");
        return { rows: rowCount ?? 0, personColumns: fields.map((f) => f.name) };
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    },
    close: () => client.end(),
  };
}

/** A small deterministic generator, so a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const next = random(Number(seedText ?? 1));
const connection = url.startsWith("sqlite:") ? await sqliteTransact() : await postgresTransact();
const report: WriterReport = { committed: [], refused: 0, failed: [] };
const ids: Record<string, number[]> = { person: [], pet: [] };
let stopping = false;
process.stdin.on("data", () => undefined);
process.stdin.on("end", () => (stopping = true));
process.stdout.write("ready\n");

let counter = 0;
while (!stopping) {
  const table = next() < 0.7 ? "person" : "pet";
  const roll = next();
  counter += 1;
  const known = ids[table]!;
  const id = roll < 0.15 ? 1_000_000 + counter : known.length > 0 && next() < 0.5 ? known[Math.floor(next() * known.length)]! : 1 + Math.floor(next() * 2_000);
  const op: WriteRecord["op"] = roll < 0.15 ? "insert" : roll < 0.3 ? "delete" : "update";
  const name = `w${counter}`;
  const sql = {
    insert: `INSERT INTO ${table} (id, name, qty) VALUES (?, ?, ?) RETURNING id`,
    update: `UPDATE ${table} SET name = ?, qty = ? WHERE id = ? RETURNING id`,
    delete: `DELETE FROM ${table} WHERE id = ? RETURNING id`,
  }[op];
  const params = { insert: [id, name, counter], update: [name, counter, id], delete: [id] }[op];
  const startedAt = Date.now();
  try {
    const { rows, personColumns } = await connection.transact(sql, params);
    if (op === "insert") known.push(id);
    report.committed.push({ table, op, id, name, qty: counter, hit: rows > 0, newShape: personColumns.includes("doubled"), startedAt, committedAt: Date.now() });
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes("write-protected")) report.refused += 1;
    else report.failed.push(`${op} ${table} ${id}: ${message}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await connection.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
