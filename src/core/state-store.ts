// The core's port to persistence: what every store implements so that the core can decide and claim.
import type { Dialect } from "../migrations/types.ts";
import type { RunCommand } from "./commands.ts";
import type { TableProgress, ThrottleState } from "./results.ts";
import type { MigrationState } from "./states.ts";
import type { WritesMode } from "./table-writes.ts";

/** The persisted state of one registered (or once registered) migration. */
export interface MigrationRecord {
  /** The NNNN index of the migration file. */
  index: number;
  /** File name without extension. */
  name: string;
  /** sha256 of the file when the state was last written. */
  checksum: string;
  /** Its state; a registered migration without a record is `migration_required`. */
  state: MigrationState;
  /** Epoch ms when its last migrate started, null before (and after a reset); absent in a write: kept as stored. */
  startedAt?: number | null;
  /** Epoch ms when its last migrate finished (its shadow copies complete), null before; absent in a write: kept. */
  finishedAt?: number | null;
  /** Epoch ms when it was finalized, null before; absent in a write: kept. */
  finalizedAt?: number | null;
  /** Rows its last migrate moved into shadow copies (0 before); absent in a write: kept. */
  rowsMoved?: number;
  /**
   * Milliseconds its finalize held the locks, from the first lock request to the COMMIT's return; null before
   * (and for a migration an older release finalized); absent in a write: kept. Set by `Store.recordLockWindow`.
   */
  lockWindowMs?: number | null;
}

/** A migration record as a store reads it: every per-migration fact set. */
export type StoredMigration = MigrationRecord &
  Required<Pick<MigrationRecord, "startedAt" | "finishedAt" | "finalizedAt" | "rowsMoved" | "lockWindowMs">>;

/** The one command row: what runs or ran last, its output, exception and progress. */
export interface CommandRecord {
  /** The running or last command; null before the first one. */
  command: RunCommand | null;
  /** True while the command runs (the database-enforced run lock). */
  running: boolean;
  /** Replica id of the process that runs (or ran) it: `host:pid:random`. */
  owner: string | null;
  /** Whether it was started with `verbose: true`. */
  verbose: boolean;
  /** Full output, one `\n`-terminated line per event. */
  output: string;
  /** Error text of a failed command, else null. */
  exception: string | null;
  /** `migratable_models.count` of the run. */
  count: number;
  /** `migratable_models.migrated` of the run. */
  migrated: number;
  /** Epoch ms when the command started, or null. */
  startedAt: number | null;
  /** Epoch ms when it ended, or null while running / before the first one. */
  endedAt: number | null;
  /** Epoch ms of the owner's last heartbeat while running. */
  heartbeatAt: number | null;
  /** Characters of `output` already returned to legacy `progress` polls. */
  progressCursor: number;
  /** Per table progress of the run, in the order it moves them (empty until the run counted them). */
  tables: TableProgress[];
  /** Epoch ms of the run's last output or progress write (its claim at first, and each resume), or null before the first command. */
  progressAt: number | null;
  /** True from a `pause` of the running command until a `resume` (false again at each claim). */
  paused: boolean;
  /** Most rows per second the running command's transforms move; 0 when there is no limit. */
  maxRowsPerSecond: number;
  /** Where the ETA's rate starts (the run's first row-by-row transform), or null before it began. */
  rateBase: RateBase | null;
  /** Who asked to cancel the running command (its exception becomes `cancelled by <cancelledBy>`); null when nobody did (cleared at each claim). */
  cancelledBy: string | null;
  /** True once a finalize entered its swap, which a cancel no longer interrupts (false again at each claim). */
  swapping: boolean;
  /**
   * Bumped by every claim and every end of a command (and with it every change of the migration records
   * outside a run): a claim is a compare-and-set on the version its decision was based on.
   */
  version: number;
}

/** The time a run's first row-by-row transform began (epoch ms) and `migrated` then: the ETA's rate counts from there. */
export interface RateBase {
  /** Epoch ms. */
  at: number;
  /** `migratable_models.migrated` at that time. */
  migrated: number;
}

/** What a run's progress write records (see `StateStore.setProgress`). */
export interface RunProgress {
  /** `migratable_models.count`: the sum of the tables' counts. */
  count: number;
  /** `migratable_models.migrated`: the sum of the tables' migrated rows. */
  migrated: number;
  /** Per table, in the order the run moves them. */
  tables: readonly TableProgress[];
  /** Where the ETA's rate starts, or null before the run's first row-by-row transform. */
  rateBase: RateBase | null;
}

/** An origin table whose writes are refused or captured now, as the store finds it. */
export interface GuardedTable {
  /** The origin table. */
  table: string;
  /** `protected` while a protection refuses its writes, else `captured`. */
  mode: WritesMode;
  /** Changes logged by the capture and not yet replayed into the shadow copy. */
  backlog: number;
  /** Changes replayed since its capture began. */
  replayed: number;
}

/** Everything the core needs to answer any command, read in one consistent snapshot. */
export interface Snapshot {
  /** Every migration record, by ascending index. */
  migrations: StoredMigration[];
  /** The command row. */
  command: CommandRecord;
  /** The origin tables protected or captured now, by name. */
  guarded: GuardedTable[];
}

/** An origin table to write-protect or to capture, and the text a refused write gets. */
export interface TableProtection {
  /** The origin table. */
  table: string;
  /** The error message of a refused write (with capture: of a TRUNCATE, which no row trigger sees). */
  message: string;
  /**
   * True: keep the table writable and log each changed key for replay (capture); the store protects it
   * instead when it cannot (a PostgreSQL table without primary key). False: refuse writes.
   */
  capture: boolean;
}

/** What `claimCommand` writes atomically when it wins the run lock. */
export interface CommandClaim {
  /** The command to start. */
  command: RunCommand;
  /** The lease of this command, `host:pid:replica.serial`: unique per command, checked by every write of the run. */
  owner: string;
  /** `CommandRecord.version` of the snapshot the claimer decided on; the claim loses when it changed. */
  version: number;
  /** Origin tables the command write-protects from its first instant (missing tables are skipped). */
  protect: TableProtection[];
  /** The command's first output line(s), written with the claim so that the answer always carries them (CONTRACT §4). */
  output: string;
  /** Verbose flag of the request. */
  verbose: boolean;
  /** Migration records to upsert in the same transaction (e.g. pending → migration_running). */
  migrations: MigrationRecord[];
  /** Initial `migratable_models.count`. */
  count: number;
  /** The run's limit of rows per second (0 or unset: none); the claim also clears any pause. */
  maxRowsPerSecond?: number;
}

/** A change of the running command's throttle: each field set is written, the others stay. */
export interface ThrottleChange {
  /** Pause (true) or resume (false). */
  paused?: boolean;
  /** The new limit of rows per second (0: none). */
  maxRowsPerSecond?: number;
}

/** What the running command's engine reads between key ranges and steps: its throttle and whether it was asked to stop. */
export interface RunControl extends ThrottleState {
  /** Who cancelled it; null while nobody did. */
  cancelledBy: string | null;
}

/**
 * The bookkeeping half of a store: state per migration and the command row, shared by every replica.
 * Every state change is a compare-and-set on the command row (`running`, `owner`), never an in-memory flag.
 */
export interface StateStore {
  /** `"sqlite"` or `"postgres"`. */
  readonly dialect: Dialect;
  /** Creates the bookkeeping tables when missing; safe to call on every start. */
  init(): Promise<void>;
  /** Reads all migration records and the command row in one consistent read. */
  snapshot(): Promise<Snapshot>;
  /**
   * Starts a command if none runs and nothing changed since the claimer's snapshot (`claim.version`):
   * sets the command row (running, owner, verbose, output `claim.output`, no exception, count, migrated 0,
   * no tables, no rate base, cursor 0, startedAt now, version + 1), upserts `claim.migrations` and installs `claim.protect`, in one
   * transaction. Returns false at once, changing nothing and waiting for nobody, when it loses.
   */
  claimCommand(claim: CommandClaim): Promise<boolean>;
  /** Whether `owner` still holds the running command: a run whose lease was taken stops at its next step. */
  holdsLease(owner: string): Promise<boolean>;
  /** Upserts migration records, only while `owner` holds the run lock; returns false otherwise. */
  setMigrationStates(owner: string, records: MigrationRecord[]): Promise<boolean>;
  /** Appends text (whole lines) to the output of the command `owner` runs. */
  appendOutput(owner: string, text: string): Promise<void>;
  /** Records progress of the command `owner` runs, in total and per table; `migrated` is never lowered. */
  setProgress(owner: string, progress: RunProgress): Promise<void>;
  /** Refreshes the heartbeat of the command `owner` runs. */
  heartbeat(owner: string): Promise<void>;
  /**
   * Changes the throttle of the command `owner` runs; resuming a paused one also counts as progress
   * (`progressAt`), so the time it was paused never makes it look stalled (a resume of a command that was
   * not paused does not: it must not hide a hung one). False, changing nothing, when `owner` no longer runs.
   */
  setThrottle(owner: string, change: ThrottleChange): Promise<boolean>;
  /** The throttle and the cancel request of the command `owner` runs, in one cheap read; null when `owner` no longer runs it. */
  readThrottle(owner: string): Promise<RunControl | null>;
  /**
   * Records `by` as the canceller of the command `owner` runs (a second cancel keeps the first name). False,
   * changing nothing, when `owner` no longer runs or its finalize entered the swap.
   */
  requestCancel(owner: string, by: string): Promise<boolean>;
  /**
   * Called by the claiming replica once its run has ended (or failed to start): releases whatever
   * liveness token `claimCommand` took (PostgreSQL: the advisory lock on the pinned connection).
   */
  releaseRunLock(owner: string): Promise<void>;
  /** Whether the process `owner` still runs its command (pid probe, advisory lock or heartbeat age). */
  ownerAlive(command: CommandRecord): Promise<boolean>;
  /**
   * Marks the command of a dead `owner` failed in one transaction: running=false, exception, every
   * `migration_running` record → `migration_failed`, `finalization_running` → `finalization_failed`,
   * and lifts the write protection of the origin tables. False (no change) if it no longer ran.
   */
  interruptCommand(owner: string, exception: string): Promise<boolean>;
  /** Returns the output not yet returned to a legacy `progress` poll and moves the cursor past it. */
  takeUnseenOutput(): Promise<string>;
  /** Rows of `tables` now, each listed table once: its shadow copy when it has one, else its origin; a missing table counts 0. */
  countRows(tables: readonly string[]): Promise<number>;
  /** Closes connections. */
  close(): Promise<void>;
}
