import { spawn } from "node:child_process";
import { join } from "node:path";
import type { TestDatabase } from "./store-targets.ts";

/** Rows of `person` and `pet` before the workload starts. */
export const PERSON_ROWS = 20_000;
/** Rows of `pet` before the workload starts. */
export const PET_ROWS = 5_000;

/** Two tables the application writes while they migrate; every row starts as `(id, 'p<id>', id)`. */
export const WORKLOAD_SCHEMA = ["person", "pet"]
  .map((table) => `CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);`)
  .join("\n");

/** Fills both tables with a portable recursive query (one statement each). */
export const WORKLOAD_SEED = [
  ["person", PERSON_ROWS],
  ["pet", PET_ROWS],
]
  .map(
    ([table, rows]) =>
      `INSERT INTO ${table} (id, name, qty) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) SELECT i, 'p' || i, i FROM n;`,
  )
  .join("\n");

/**
 * The two migrations of the workload, finalized together: `person` gains `doubled = qty * 2` (dataDefinition
 * and a transform: the in-place route); `pet` names are upper-cased by a transform alone (the stream route).
 * Both tables keep their writes (captured), unless `writes` is `"protect"`.
 */
export function workloadMigrations(writes: "capture" | "protect" = "capture"): Record<string, string> {
  const choice = writes === "protect" ? `\n  writes: "protect",` : "";
  return {
    "0001_person_doubled.mjs": `export default {
  tables: ["person"],${choice}
  async dataDefinition(db) { await db.exec("ALTER TABLE person ADD COLUMN doubled INTEGER"); },
  transform: { person: (row) => ({ ...row, doubled: row.qty * 2 }) },
};
`,
    "0002_pet_upper.mjs": `export default {
  tables: ["pet"],${choice}
  transform: { pet: (row) => ({ ...row, name: row.name.toUpperCase() }) },
};
`,
  };
}

/** One write the application saw commit. */
export interface WriteRecord {
  table: string;
  op: "insert" | "update" | "delete";
  id: number;
  name: string;
  qty: number;
  /** Whether the statement found (or made) a row. */
  hit: boolean;
  /** Whether `person` had the migrated shape in the write's transaction: it went to the swapped-in table. */
  newShape: boolean;
  /** Epoch ms before BEGIN. */
  startedAt: number;
  /** Epoch ms after COMMIT returned. */
  committedAt: number;
}

/** What the writer reports when it stops. */
export interface WriterReport {
  /** Every committed write, in commit order (one at a time). */
  committed: WriteRecord[];
  /** Writes refused by the write protection. */
  refused: number;
  /** Writes that failed for any other reason, with the error text. */
  failed: string[];
}

/** A running application writer process. */
export interface AppWriter {
  /** Ends the writer after its current write and returns its record. */
  stop(): Promise<WriterReport>;
}

/** Starts app-writer.ts against `db` in its own process; resolves once it is connected and writing. */
export async function startAppWriter(db: TestDatabase, seed: number): Promise<AppWriter> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "app-writer.ts"), db.url, String(seed)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 30_000;
  while (!stdout.startsWith("ready\n")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the writer did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    async stop() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the writer exited with ${code}: ${stderr}`);
      return JSON.parse(stdout.slice("ready\n".length)) as WriterReport;
    },
  };
}

/** A row as the application last committed it, and whether that write reached the migrated table. */
interface ExpectedRow {
  name: string;
  qty: number;
  newShape: boolean;
}

/** The rows each table must hold: the seed, then every committed write applied in order. */
function expectedRows(report: WriterReport): Map<string, Map<number, ExpectedRow>> {
  const tables = new Map<string, Map<number, ExpectedRow>>();
  for (const [table, count] of [["person", PERSON_ROWS], ["pet", PET_ROWS]] as const) {
    const rows = new Map<number, ExpectedRow>();
    for (let id = 1; id <= count; id++) rows.set(id, { name: `p${id}`, qty: id, newShape: false });
    tables.set(table, rows);
  }
  for (const write of report.committed) {
    const rows = tables.get(write.table)!;
    if (!write.hit) continue;
    if (write.op === "delete") rows.delete(write.id);
    else rows.set(write.id, { name: write.name, qty: write.qty, newShape: write.newShape });
  }
  return tables;
}

/**
 * Every way the finalized tables differ from the transform of the application's last committed writes:
 * a lost insert, update or delete, or a row that missed its transform. A write that reached the
 * swapped-in table is the application's own new-shape row and is checked for its values only. Empty when exact.
 */
export async function lostWrites(db: TestDatabase, report: WriterReport): Promise<string[]> {
  const problems: string[] = [];
  const expected = expectedRows(report);
  for (const [table, rows] of expected) {
    const actual = await db.query(`SELECT * FROM ${table} ORDER BY id`);
    const seen = new Set<number>();
    for (const row of actual) {
      const id = Number(row.id);
      seen.add(id);
      const want = rows.get(id);
      if (want === undefined) {
        problems.push(`${table} ${id}: present, but the application deleted it (or never wrote it): ${JSON.stringify(row)}`);
        continue;
      }
      const transformed =
        table === "person"
          ? { name: want.name, qty: want.qty, ...(want.newShape ? {} : { doubled: want.qty * 2 }) }
          : { name: want.newShape ? want.name : want.name.toUpperCase(), qty: want.qty };
      for (const [column, value] of Object.entries(transformed)) {
        if (row[column] !== value && Number(row[column]) !== value) {
          problems.push(`${table} ${id}: ${column} is ${JSON.stringify(row[column])}, want ${JSON.stringify(value)} (${JSON.stringify(row)})`);
        }
      }
    }
    for (const id of rows.keys()) if (!seen.has(id)) problems.push(`${table} ${id}: missing, but the application's last write kept it`);
  }
  return problems;
}
