import type { RunCommand } from "../core/commands.ts";

/** A migration file as the worker needs it: it imports the file itself by path. */
export interface MigrationRef {
  /** The NNNN index. */
  index: number;
  /** File name without extension. */
  name: string;
  /** Absolute path. */
  path: string;
  /** sha256 of the file. */
  checksum: string;
}

/** The plain-data task a worker runs: one claimed command, to its end. */
export interface CommandTask {
  /** The command the manager claimed in the store. */
  command: RunCommand;
  /** Adds detail lines to the output. */
  verbose: boolean;
  /** Replica id that holds the run lock; every store write of the run is conditioned on it. */
  owner: string;
  /** Where the worker opens its own store connection (`sqlite:…` or `postgres://…`). */
  databaseUrl: string;
  /** Registered migrations, by ascending index. */
  migrations: MigrationRef[];
  /** How many threads may run `transform` batches in parallel. */
  transformWorkers: number;
  /** Most logged changes of captured tables that finalize leaves for its lock window; above it, it replays on. */
  maxFinalizeBacklog: number;
  /** How long the finalize swap waits for its locks before it gives up, keeping finalization_required, in ms (default: the store's). */
  finalizeLockWaitMs?: number;
}

/**
 * Hears every output line of the running command as it is written, detail lines too (the store keeps the
 * lines of the output; the listener, on the main thread, writes them all to the service log).
 */
export type OutputListener = (text: string) => void;

/** The plain-data task of a replay between commands. */
export interface ReplayTask {
  /** Where the worker opens its own store connection. */
  databaseUrl: string;
  /** Registered migrations, by ascending index: those waiting for finalize give the transforms. */
  migrations: MigrationRef[];
}

/** The plain-data task of a `plan`: the pending migrations to survey, read-only. */
export interface SurveyTask {
  /** Where the worker opens its own store connection. */
  databaseUrl: string;
  /** The pending migrations, by ascending index. */
  migrations: MigrationRef[];
}

/** The plain-data task that warms the command thread up while the service starts. */
export interface WarmTask {
  /** Where the thread opens the store it keeps. */
  databaseUrl: string;
  /** Registered migrations, whose files the thread imports ahead of the first command. */
  migrations: MigrationRef[];
}
