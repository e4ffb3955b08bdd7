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
  if (!(await ctx.store.setMigrationStates(ctx.task.owner, recordsIn(refs, state)))) {
    throw new Error(`The command lost its run lock (owner ${ctx.task.owner}) while setting migrations to ${state}`);
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
