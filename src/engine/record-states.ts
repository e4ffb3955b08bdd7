import { MigrationState } from "../core/states.ts";
import type { MigrationRef } from "./messages.ts";
import type { MigrationRecord } from "../core/state-store.ts";
import type { CommandContext } from "./types.ts";

/** What identifies a migration in its record. */
export type MigrationIdentity = Pick<MigrationRef, "index" | "name" | "checksum">;

/** Records of `refs` in `state`, with their names and checksums. */
export function recordsIn(refs: readonly MigrationIdentity[], state: MigrationState): MigrationRecord[] {
  return refs.map((r) => ({ index: r.index, name: r.name, checksum: r.checksum, state }));
}

/** Writes `state` for each migration, conditioned on the task's owner; fails loudly when the lock is gone. */
export async function setStates(ctx: CommandContext, refs: readonly MigrationIdentity[], state: MigrationState): Promise<void> {
  if (refs.length === 0) return;
  await writeRecords(ctx, recordsIn(refs, state), `setting migrations to ${state}`);
}

/** The per-migration facts of a run (times, rows moved) that a record write sets; the others stay as stored. */
export type RunFacts = Pick<MigrationRecord, "startedAt" | "finishedAt" | "rowsMoved">;

/** Writes one migration's state with facts of its run, conditioned on the task's owner. */
export async function recordRun(ctx: CommandContext, ref: MigrationIdentity, state: MigrationState, facts: RunFacts): Promise<void> {
  await writeRecords(ctx, [{ ...recordsIn([ref], state)[0]!, ...facts }], `recording the run of ${ref.name}`);
}

async function writeRecords(ctx: CommandContext, records: MigrationRecord[], what: string): Promise<void> {
  if (!(await ctx.store.setMigrationStates(ctx.task.owner, records))) {
    throw new Error(`The command lost its run lock (owner ${ctx.task.owner}) while ${what}`);
  }
}

/** Registered migrations whose persisted state is one of `states`. */
export async function migrationsIn(ctx: CommandContext, states: readonly MigrationState[]): Promise<MigrationRef[]> {
  const { migrations } = await ctx.store.snapshot();
  const byIndex = new Map(migrations.map((m) => [m.index, m.state]));
  return ctx.task.migrations.filter((ref) => {
    const state = byIndex.get(ref.index);
    return state !== undefined && states.includes(state);
  });
}

const NOT_PENDING: readonly MigrationState[] = [
  MigrationState.FINALIZED,
  MigrationState.FINALIZATION_REQUIRED,
  MigrationState.FINALIZATION_RUNNING,
];

/** Registered migrations the migrate part still has to run: no record, or not finalized and not migrated yet. */
export async function pendingMigrations(ctx: CommandContext): Promise<MigrationRef[]> {
  const { migrations } = await ctx.store.snapshot();
  const byIndex = new Map(migrations.map((m) => [m.index, m.state]));
  return ctx.task.migrations.filter((ref) => !NOT_PENDING.includes(byIndex.get(ref.index) ?? MigrationState.MIGRATION_REQUIRED));
}
