import { type AlterStep, describeStep } from "../migrations/alter-steps.ts";
import type { LoadedMigration } from "../migrations/types.ts";
import { changesInPlace } from "../stores/alter-sql.ts";
import type { ShadowSession } from "../stores/store.ts";
import type { CommandContext } from "./types.ts";

/**
 * The declared in-place steps of tables that have no shadow copy (yet), in migration order: the finalize swap
 * applies them to the original tables; a later migration that copies such a table applies them to its copy first,
 * so every migration sees the shape the ones before it declared.
 */
export class DeferredAlters {
  private readonly byTable = new Map<string, AlterStep[]>();

  private constructor(private readonly ctx: CommandContext) {}

  /** The steps the already migrated migrations (`earlier`) left for tables that still have no shadow copy. */
  static async of(ctx: CommandContext, session: ShadowSession, earlier: readonly LoadedMigration[]): Promise<DeferredAlters> {
    const deferred = new DeferredAlters(ctx);
    for (const { migration } of earlier) {
      for (const [table, steps] of Object.entries(migration.alter ?? {})) {
        if ((await session.locate(table)) === "origin") deferred.byTable.set(table, [...(deferred.byTable.get(table) ?? []), ...steps]);
      }
    }
    return deferred;
  }

  /** Removes and returns the steps waiting for `table`, which is being copied now. */
  take(table: string): AlterStep[] {
    const steps = this.byTable.get(table) ?? [];
    this.byTable.delete(table);
    return steps;
  }

  /**
   * Defers `steps` of `table` to finalize after checking what can be checked now, so a mistake fails migrate,
   * not the maintenance window: the table exists, each step is in place on this database, and the columns
   * named exist (or, for a new name, do not).
   */
  async add(session: ShadowSession, prefix: string, table: string, steps: readonly AlterStep[]): Promise<void> {
    if ((await session.locate(table)) !== "origin") throw new Error(`\`alter\` names table "${table}", which does not exist`);
    const columns = new Set((await session.columns(table)).origin.map((c) => c.name));
    const earlier = this.byTable.get(table) ?? [];
    for (const step of earlier) applyToColumns(columns, step);
    for (const step of steps) {
      const problem = !changesInPlace(session.db.dialect, step)
        ? `it rewrites every row on ${session.db.dialect === "sqlite" ? "SQLite" : session.db.dialect}; list "${table}" in the migration's \`tables\`, so the change is made on its shadow copy`
        : columnProblem(columns, step);
      if (problem !== null) throw new Error(`Cannot ${describeStep(step)} on table "${table}": ${problem}`);
      applyToColumns(columns, step);
    }
    this.byTable.set(table, [...earlier, ...steps]);
    for (const step of steps) this.ctx.out.detail(`${prefix}: ${describeStep(step)} on "${table}" waits for finalize (in place, no copy)`);
  }
}

function columnProblem(columns: ReadonlySet<string>, step: AlterStep): string | null {
  const missing = (name: string) => (columns.has(name) ? null : `it has no column "${name}"`);
  const taken = (name: string) => (columns.has(name) ? `it has a column "${name}" already` : null);
  if ("addColumn" in step) return taken(step.addColumn.name);
  if ("dropColumn" in step) return missing(step.dropColumn);
  if ("renameColumn" in step) return missing(step.renameColumn.from) ?? taken(step.renameColumn.to);
  if ("createIndex" in step) return step.createIndex.columns.map(missing).find((p) => p !== null) ?? null;
  return null;
}

function applyToColumns(columns: Set<string>, step: AlterStep): void {
  if ("addColumn" in step) columns.add(step.addColumn.name);
  if ("dropColumn" in step) columns.delete(step.dropColumn);
  if ("renameColumn" in step) {
    columns.delete(step.renameColumn.from);
    columns.add(step.renameColumn.to);
  }
}
