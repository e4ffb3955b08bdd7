import type { WriteTraits } from "../migrations/write-traits.ts";

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
 * would meet the final shape in every step. A migration may also ask for protection (`writes: "protect"`).
 */
export function planTableWrites(chain: readonly WritesMigration[]): TableWritesPlan[] {
  const byTable = new Map<string, WritesMigration[]>();
  for (const migration of chain) for (const table of migration.tables) byTable.set(table, [...(byTable.get(table) ?? []), migration]);
  return [...byTable].map(([table, migrations]) => ({ table, ...decide(migrations) }));
}

function decide(migrations: readonly WritesMigration[]): { mode: WritesMode; reason: string } {
  const protectedBy = (reason: string) => ({ mode: "protected" as const, reason });
  for (const { name, traits } of migrations) {
    if (traits.writes === "protect") return protectedBy(`migration ${name} asks for it (writes: "protect")`);
    if (traits.dataManipulation) return protectedBy(`migration ${name} changes rows with dataManipulation, which cannot be replayed row by row`);
    if (traits.cleanup) return protectedBy(`migration ${name} changes rows with cleanup, which cannot be replayed row by row`);
  }
  const reshaping = migrations.find((m) => m.traits.dataDefinition);
  if (reshaping !== undefined && migrations.length > 1) {
    return protectedBy(`migration ${reshaping.name} reshapes it with dataDefinition and ${migrations.length - 1} more pending migration(s) change it too`);
  }
  const how = reshaping !== undefined ? "copy, dataDefinition's column changes and transform" : "copy and transform";
  return { mode: "captured", reason: `its rows reach the shadow copy through ${how} only, so each write is replayed` };
}
