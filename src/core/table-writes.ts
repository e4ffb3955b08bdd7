import type { WriteTraits } from "../migrations/write-traits.ts";
import type { GuardedTable } from "./state-store.ts";

/** Most logged changes finalize leaves for its lock window unless configured (`--max-finalize-backlog`). */
export const DEFAULT_MAX_FINALIZE_BACKLOG = 1_000;

/** Whether an origin table stays writable while it migrates (`captured`) or refuses writes until finalize (`protected`). */
export type WritesMode = "captured" | "protected";

/** A migration as the writes decision needs it. */
export interface WritesMigration {
  /** File name without extension. */
  name: string;
  /** Tables it changes or creates. */
  tables: readonly string[];
  /** What it does to them. */
  traits: WriteTraits;
}

/** The decision for one table, with the reason an operator reads in `stats`. */
export interface TableWritesPlan {
  /** The origin table. */
  table: string;
  /** Captured or protected. */
  mode: WritesMode;
  /** Why, in one sentence. */
  reason: string;
}

/**
 * Decides, for every table of the migrations whose work the shadow copies will hold (`chain`, ascending),
 * whether the application keeps writing it while it migrates (CONTRACT §7). A change can be replayed
 * exactly only when the table's rows reach the shadow through the row path: copy, `transform` and column
 * defaults. Set-based SQL over the shadow (`dataManipulation`, `cleanup`) cannot be replayed row by row;
 * neither can a `dataDefinition` followed by another migration of the same table, since a replayed row
 * would meet the final shape in every step, nor one over several tables, whose SQL may move rows between
 * them (a table split), unless the migration says `writes: "capture"`; nor an SQL-expression transform,
 * which runs inside the database's copy. A migration may also ask for protection (`writes: "protect"`).
 */
export function planTableWrites(chain: readonly WritesMigration[]): TableWritesPlan[] {
  const byTable = new Map<string, WritesMigration[]>();
  for (const migration of chain) for (const table of migration.tables) byTable.set(table, [...(byTable.get(table) ?? []), migration]);
  return [...byTable].map(([table, migrations]) => ({ table, ...decide(table, migrations) }));
}

function decide(table: string, migrations: readonly WritesMigration[]): { mode: WritesMode; reason: string } {
  const protectedBy = (reason: string) => ({ mode: "protected" as const, reason });
  for (const { name, traits } of migrations) {
    if (traits.writes === "protect") return protectedBy(`migration ${name} asks for it (writes: "protect")`);
    if (traits.sqlTransforms.includes(table)) return protectedBy(`migration ${name} transforms it with SQL expressions, which the database computes for the whole table, not row by row`);
    if (traits.dataManipulation) return protectedBy(`migration ${name} changes rows with dataManipulation, which cannot be replayed row by row`);
    if (traits.cleanup) return protectedBy(`migration ${name} changes rows with cleanup, which cannot be replayed row by row`);
  }
  const sharing = migrations.find((m) => m.traits.dataDefinition && m.tables.length > 1 && m.traits.writes !== "capture");
  if (sharing !== undefined) {
    return protectedBy(`migration ${sharing.name} reshapes ${sharing.tables.length} tables with dataDefinition, whose SQL may move rows between them (writes: "capture" says it does not)`);
  }
  const reshaping = migrations.find((m) => m.traits.dataDefinition);
  if (reshaping !== undefined && migrations.length > 1) {
    return protectedBy(`migration ${reshaping.name} reshapes it with dataDefinition and ${migrations.length - 1} more pending migration(s) change it too`);
  }
  const how = reshaping !== undefined ? "copy, dataDefinition's column changes and transform" : "copy and transform";
  return { mode: "captured", reason: `its rows reach the shadow copy through ${how} only, so each write is replayed` };
}

/** One table's writes while it migrates, as `stats` shows it. */
export interface TableWrites {
  /** The origin table. */
  table: string;
  /** Captured (writable, replayed) or protected (writes refused until finalize). */
  mode: WritesMode;
  /** Why. */
  reason: string;
  /** Changes the application wrote that are not in the shadow copy yet. */
  backlog: number;
  /** Changes replayed per second lately; null for a protected table, and until two readings are at least a second apart. */
  replayRate: number | null;
}

/** The reason shown when the plan captures a table the store had to protect. */
const NO_KEY_REASON = "it has no primary key to replay changes by, so it is write-protected";

/**
 * The writes of each table of the shadow chain: the store's guard where it has one (what holds now),
 * else the plan (what migrate will do); tables guarded outside the plan keep the store's word.
 */
export function tableWrites(plan: readonly TableWritesPlan[], guarded: readonly GuardedTable[], rates: ReadonlyMap<string, number | null>): TableWrites[] {
  const byTable = new Map(guarded.map((g) => [g.table, g]));
  const rows = plan.map((p): TableWrites => {
    const guard = byTable.get(p.table);
    const mode = guard?.mode ?? p.mode;
    const reason = mode === p.mode ? p.reason : p.mode === "captured" ? NO_KEY_REASON : p.reason;
    return { table: p.table, mode, reason, backlog: guard?.backlog ?? 0, replayRate: mode === "captured" ? (rates.get(p.table) ?? null) : null };
  });
  for (const g of guarded) {
    if (plan.some((p) => p.table === g.table)) continue;
    rows.push({ table: g.table, mode: g.mode, reason: "left from an earlier run", backlog: g.backlog, replayRate: rates.get(g.table) ?? null });
  }
  return rows;
}
