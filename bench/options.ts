import { join, resolve } from "node:path";

/** Which stores a run measures. */
export type StoreName = "sqlite" | "postgres";

/** The parsed flags of `npm run bench`. */
export interface BenchOptions {
  /** Rows of the main table (`--rows`). */
  rows: number;
  /** Rows of the row-by-row scenario (b) (`--sample`, capped at `rows`). */
  sample: number;
  /** Stores to measure, in order (`--store`). */
  stores: StoreName[];
  /** Directory of the results files (`--out`). */
  out: string;
  /** Maintenance database of the PostgreSQL server (its port replaced by `--port`); bench databases are created next to it. */
  databaseUrl: string;
  /** Start of the name of every database (PostgreSQL) and temporary directory (SQLite) the bench creates (`--database-prefix`). */
  databasePrefix: string;
  /** Repetitions of each ratio-bearing scenario with its references, each on a fresh database (`--repeat`). */
  repeat: number;
}

/** The usage text printed on a bad flag. */
export const USAGE = `usage: npm run bench -- [options]
  --rows N                 rows of the main table (default 1000000)
  --store S                sqlite, postgres or both (default both)
  --sample N               rows of the row-by-row scenario (b) (default 20000, at most --rows)
  --repeat N               runs of each ratio-bearing scenario with its references, each on a fresh database (default 3)
  --out DIR                where <store>.json and <store>.md go (default bench/results)
  --database-url URL       the PostgreSQL server's maintenance database (default TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --port N                 the PostgreSQL server's port, overriding the port of --database-url
  --database-prefix NAME   start of the name of every database and SQLite directory the bench creates (default bench_)
  --help                   this text`;

/** Thrown for --help: its message is the usage, printed to stdout with exit code 0. */
export class HelpRequested extends Error {
  override readonly name = "HelpRequested";
}

function positiveInt(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${flag} needs a positive integer, got ${JSON.stringify(text)}\n${USAGE}`);
  }
  return value;
}

function storesOf(text: string | undefined): StoreName[] {
  if (text === "both") return ["sqlite", "postgres"];
  if (text === "sqlite" || text === "postgres") return [text];
  throw new Error(`--store must be sqlite, postgres or both, got ${JSON.stringify(text)}\n${USAGE}`);
}

/** Parses `argv` (after the script name); flags take `--flag value` or `--flag=value`. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const values = new Map<string, string | undefined>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") throw new HelpRequested(USAGE);
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
    const eq = arg.indexOf("=");
    if (eq >= 0) values.set(arg.slice(2, eq), arg.slice(eq + 1));
    else values.set(arg.slice(2), argv[++i]);
  }
  const known = new Set(["rows", "store", "sample", "out", "database-url", "database-prefix", "repeat", "port"]);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown flag --${key}\n${USAGE}`);

  const rows = values.has("rows") ? positiveInt("--rows", values.get("rows")) : 1_000_000;
  const sample = values.has("sample") ? positiveInt("--sample", values.get("sample")) : 20_000;
  const out = values.has("out") ? values.get("out") : join(import.meta.dirname, "results");
  if (out === undefined || out.length === 0) throw new Error(`--out needs a directory\n${USAGE}`);
  let databaseUrl = values.has("database-url")
    ? values.get("database-url")
    : env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  if (databaseUrl === undefined || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(`--database-url needs a postgres:// URL\n${USAGE}`);
  }
  if (values.has("port")) {
    const port = positiveInt("--port", values.get("port"));
    if (port > 65_535) throw new Error(`--port needs a TCP port (1–65535), got ${port}\n${USAGE}`);
    const parsed = new URL(databaseUrl);
    parsed.port = String(port);
    databaseUrl = parsed.toString();
  }
  const databasePrefix = values.has("database-prefix") ? values.get("database-prefix") : "bench_";
  if (databasePrefix === undefined || !/^[a-z_][a-z0-9_]{0,40}$/.test(databasePrefix)) {
    throw new Error(`--database-prefix needs lower-case letters, digits and _ (not first a digit), at most 41 characters, got ${JSON.stringify(databasePrefix)}\n${USAGE}`);
  }
  return {
    rows,
    repeat: values.has("repeat") ? positiveInt("--repeat", values.get("repeat")) : 3,
    sample: Math.min(sample, rows),
    stores: values.has("store") ? storesOf(values.get("store")) : ["sqlite", "postgres"],
    out: resolve(out),
    databaseUrl,
    databasePrefix,
  };
}
