import type { LoadedMigration } from "../migrations/types.ts";
import type { CommandTask, MigrationRef, OutputListener } from "./messages.ts";
import type { KeyRange, RangePlan, ReplayPlan, Store } from "../stores/store.ts";
import type { MigrationRecord } from "../core/state-store.ts";
import type { CommandOutput } from "./command-output.ts";
import type { ProgressTracker } from "./progress-tracker.ts";
import type { ThrottleGate } from "./throttle-gate.ts";

/** One key range of a table to move through its `transform`, as plain data a worker thread can receive. */
export interface RangeJob {
  /** Absolute path of the migration file; the thread imports it itself. */
  path: string;
  /** sha256 of the file, so a thread reloads an edited file. */
  checksum: string;
  /** Table whose transform applies. */
  table: string;
  /** Where the thread connects, what it reads and writes (from the shadow session). */
  plan: RangePlan;
  /** The rows this job moves. */
  range: KeyRange;
}

/** A migration file whose `transform` of a table a thread applies; the thread imports it itself. */
export interface TransformRef {
  /** Absolute path of the migration file. */
  path: string;
  /** sha256 of the file, so a thread reloads an edited file. */
  checksum: string;
}

/** One batch of a captured table's logged changes to replay, as plain data a worker thread can receive. */
export interface ReplayJob {
  /** The captured table. */
  table: string;
  /** Where the thread connects and what it reads and writes. */
  plan: ReplayPlan;
  /** The pending migrations' transforms of the table, in index order (none: the rows are copied as they are). */
  transforms: TransformRef[];
}

/** What a replay between commands resolves to when a command started under it (that command replays from there). */
export const YIELDED = -1;

/** What a replay batch resolves to when another connection held the database's write lock past the busy timeout. */
export const BUSY = -2;

/** Runs range and replay jobs, in parallel on worker threads (each with its own connection) in production. */
export interface BatchTransformer {
  /** Reads the job's rows, applies the table's transform, writes the results; resolves to the rows read. */
  transform(job: RangeJob): Promise<number>;
  /** Replays one batch of logged changes through the job's transforms; resolves to the changes consumed (0: none logged), YIELDED or BUSY. */
  replay(job: ReplayJob): Promise<number>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** What `runCommand` needs besides the task. */
export interface EngineDeps {
  /** The store, opened by the caller and closed by it. */
  store: Store;
  /** Where `transform` batches run. */
  transformer: BatchTransformer;
  /** Loads a registered migration file (default: import and validate it by path). */
  load?: (ref: MigrationRef) => Promise<LoadedMigration>;
  /** Hears every output line as it is written, detail lines too (default: nobody). */
  onOutput?: OutputListener;
  /** Rows per transform range (default DEFAULT_BATCH_ROWS). */
  batchRows?: number;
  /** Bytes of rows a transform range holds about, fewer rows when rows are wide (default RANGE_BYTES). */
  rangeBytes?: number;
}

/** How a command ended. */
export interface CommandOutcome {
  /** The exception recorded for the command, or null on success. */
  exception: string | null;
}

/** How a phase ended: the exception (null on success) and the records to write when the command ends. */
export interface PhaseResult {
  /** Error text, or null. */
  exception: string | null;
  /** Last record states, written together with the end of the command. */
  records: MigrationRecord[];
  /**
   * Whether the write protection of the origin goes with the end of the command (failures and reset):
   * lifted in the same transaction, never before the state that no longer promises a shadow copy.
   */
  liftProtection: boolean;
}

/** Everything one running command shares across its phases. */
export interface CommandContext {
  /** The claimed task. */
  task: CommandTask;
  /** The store. */
  store: Store;
  /** Transform batches. */
  transformer: BatchTransformer;
  /** Loads a migration file. */
  load: (ref: MigrationRef) => Promise<LoadedMigration>;
  /** The output of the command. */
  out: CommandOutput;
  /** Progress of the command. */
  progress: ProgressTracker;
  /** Rows per transform batch. */
  batchRows: number;
  /** Bytes of rows per transform batch (rowsPerRange). */
  rangeBytes: number;
  /** Where the run waits while paused and for its rows-per-second limit. */
  throttle: ThrottleGate;
  /** Set when a store write already ended the command (the finalize swap does). */
  finished: boolean;
}
