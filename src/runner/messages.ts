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
}

/** What a running command tells the main thread over its MessagePort (the store has it too). */
export type RunnerEvent =
  | { type: "output"; text: string }
  | { type: "progress"; count: number; migrated: number };
