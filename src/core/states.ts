/** The persisted state of one migration, and of the service as a whole (CONTRACT §2). */
export const MigrationState = {
  MIGRATION_REQUIRED: "migration_required",
  MIGRATION_RUNNING: "migration_running",
  MIGRATION_FAILED: "migration_failed",
  FINALIZATION_REQUIRED: "finalization_required",
  FINALIZATION_RUNNING: "finalization_running",
  FINALIZED: "finalized",
  FINALIZATION_FAILED: "finalization_failed",
} as const;

/** One of the seven lowercase state strings of the route. */
export type MigrationState = (typeof MigrationState)[keyof typeof MigrationState];

/** Unfinalized states, most urgent first: the service state is the first one any migration has. */
export const STATE_PRIORITY: readonly MigrationState[] = [
  MigrationState.MIGRATION_FAILED,
  MigrationState.MIGRATION_RUNNING,
  MigrationState.MIGRATION_REQUIRED,
  MigrationState.FINALIZATION_FAILED,
  MigrationState.FINALIZATION_RUNNING,
  MigrationState.FINALIZATION_REQUIRED,
];

/** The service state of a set of per-migration states: `finalized` when none is unfinalized. */
export function serviceState(states: Iterable<MigrationState>): MigrationState {
  let best = STATE_PRIORITY.length;
  for (const state of states) {
    const rank = STATE_PRIORITY.indexOf(state);
    if (rank >= 0 && rank < best) best = rank;
  }
  return best < STATE_PRIORITY.length ? STATE_PRIORITY[best]! : MigrationState.FINALIZED;
}

/** True for the two states in which a command runs. */
export function isRunningState(state: MigrationState): boolean {
  return state === MigrationState.MIGRATION_RUNNING || state === MigrationState.FINALIZATION_RUNNING;
}

/** True for the two failed states, the only ones that carry an `exception`. */
export function isFailedState(state: MigrationState): boolean {
  return state === MigrationState.MIGRATION_FAILED || state === MigrationState.FINALIZATION_FAILED;
}

/** Every state string, for validation and tables. */
export const ALL_STATES: readonly MigrationState[] = Object.values(MigrationState);
