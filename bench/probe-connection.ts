/**
 * One connection of the application probe, as its own process (forked by bench/probe.ts): it issues one
 * statement every PROBE_INTERVAL_MS — a read of the migrated table, an update of it, or an insert into an
 * unrelated table — and records when each was sent and how long it took, until the parent says "stop";
 * then it sends what it recorded. One process per connection, so that a synchronous better-sqlite3 call
 * waiting out its busy timeout holds only its own connection, as in an application with a pool.
 * Usage (through fork): probe-connection.ts <database url> <reader|writer|unrelated> <tables, comma-separated> <rows per table>
 */
import Database from "better-sqlite3";
import pg from "pg";
import { performance } from "node:perf_hooks";
import { PROBE_INTERVAL_MS, SQLITE_BUSY_TIMEOUT_MS, type ProbeReport, type ProbeRole } from "./probe-protocol.ts";
import { UNRELATED_TABLE } from "./table-shapes.ts";

const [url, roleText, tablesText, rowsText] = process.argv.slice(2);
const role = roleText as ProbeRole;
const tables = tablesText!.split(",");
const rows = Number(rowsText);

/** The statement of this role on `table` with the placeholder of the store. */
function sqlOf(table: string, placeholder: string): string {
  if (role === "reader") return `SELECT * FROM ${table} WHERE id = ${placeholder}`;
  // The same write as scenario (h): captured and replayed, it leaves the row as it was, so the data check stays exact.
  if (role === "writer") return `UPDATE ${table} SET amount = amount WHERE id = ${placeholder}`;
  return `INSERT INTO ${UNRELATED_TABLE} (at) VALUES (${placeholder})`;
}

type Run = (table: string, id: number) => Promise<void>;
async function connect(): Promise<{ run: Run; close(): Promise<void> }> {
  if (url!.startsWith("sqlite:")) {
    // What an ordinary application opens: WAL (the service's mode), a 5 s busy timeout.
    const db = new Database(url!.slice("sqlite:".length));
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const statements = new Map<string, Database.Statement>();
    const statement = (table: string) => {
      let found = statements.get(table);
      if (found === undefined) statements.set(table, (found = db.prepare(sqlOf(table, "?"))));
      return found;
    };
    return {
      run: async (table, id) => {
        const prepared = statement(table);
        if (role === "reader") prepared.get(id);
        else prepared.run(role === "writer" ? id : new Date().toISOString());
      },
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    run: async (table, id) => void (await client.query(sqlOf(table, "$1"), [role === "unrelated" ? new Date().toISOString() : id])),
    close: () => client.end(),
  };
}

const epochNow = () => performance.timeOrigin + performance.now();
const { run, close } = await connect();
const report: ProbeReport = { role, samples: [], errors: [] };
let stopping = false;
process.on("message", (message) => {
  if (message === "stop") stopping = true;
});
process.send!("ready");
while (!stopping) {
  const sent = epochNow();
  try {
    await run(tables[Math.floor(Math.random() * tables.length)]!, 1 + Math.floor(Math.random() * rows));
  } catch (error) {
    report.errors.push(`${new Date().toISOString()} ${(error as Error).message}`);
  }
  const done = epochNow();
  report.samples.push([sent, done - sent]);
  // The next statement PROBE_INTERVAL_MS after this one was sent, or at once when this one took longer.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, sent + PROBE_INTERVAL_MS - done)));
}
await close();
process.send!(report, () => process.exit(0));
