/** What the application probe's connections do, and what each sends back (bench/probe-connection.ts). */
export type ProbeRole = "reader" | "writer" | "unrelated";

/** The probe's connections, in printed order: a reader and a writer of the migrated table, a writer of an unrelated one. */
export const PROBE_ROLES: readonly ProbeRole[] = ["reader", "writer", "unrelated"];

/** One statement every this many ms on each connection. */
export const PROBE_INTERVAL_MS = 2;

/** The busy timeout of the probe's SQLite connections: what an ordinary application sets. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** What one connection recorded: each statement as [sent at (epoch ms), latency ms], and the errors. */
export interface ProbeReport {
  role: ProbeRole;
  samples: [number, number][];
  errors: string[];
}
