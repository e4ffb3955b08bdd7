/**
 * The application of scenario (h), as its own process: one connection, one write per transaction, as
 * fast as the database lets it, until its stdin ends; then prints what it did as JSON. Each write is
 * `UPDATE items SET amount = amount WHERE id = <random>`: a real write the capture logs and replay
 * re-applies, which leaves every row as it was, so the bench's fingerprint check stays exact.
 * Usage: node --import tsx bench/app-writer.ts <database url> <rows>
 */
import Database from "better-sqlite3";
import pg from "pg";
import { performance } from "node:perf_hooks";

const [url, rowsText] = process.argv.slice(2);
const rows = Number(rowsText);
const sql = (placeholder: string) => `UPDATE items SET amount = amount WHERE id = ${placeholder}`;

type Write = (id: number) => Promise<void>;
async function connect(): Promise<{ write: Write; close(): Promise<void> }> {
  if (url!.startsWith("sqlite:")) {
    const db = new Database(url!.slice("sqlite:".length));
    db.pragma("busy_timeout = 30000");
    const update = db.prepare(sql("?"));
    return {
      write: async (id) => void update.run(id),
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { write: async (id) => void (await client.query(sql("$1"), [id])), close: () => client.end() };
}

const { write, close } = await connect();
let stopping = false;
process.stdin.on("end", () => (stopping = true));
process.stdin.resume();
const started = performance.now();
/** Each committed write: when it returned (ms since the start) and how long it took. */
const writes: [number, number][] = [];
const errors: string[] = [];
process.stdout.write("ready\n");
while (!stopping) {
  const sent = performance.now();
  try {
    await write(1 + Math.floor(Math.random() * rows));
    const done = performance.now();
    writes.push([done - started, done - sent]);
  } catch (error) {
    errors.push((error as Error).message);
  }
  // Let the stdin event through on a fast loop (better-sqlite3 writes are synchronous).
  if (writes.length % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
}
await close();
process.stdout.write(JSON.stringify({ startedAt: Date.now() - (performance.now() - started), writes, errors }));
