import type { LogLevel } from "./config-values.ts";

/** Everything `migrations serve` needs, resolved from flags over environment over defaults (CONTRACT §6). */
export interface ServiceConfig {
  /** `sqlite:PATH` or `postgres://…`; default `sqlite:./data/migrations.db`. */
  databaseUrl: string;
  /** Absolute path of the migrations directory; default `./migrations`. */
  migrationsDir: string;
  /** Listen host; default 127.0.0.1 (always 127.0.0.1 in dev mode). */
  host: string;
  /** Listen port; default 9011; 0 picks a free port. */
  port: number;
  /** The password clients must send; read from the password file (one trailing newline stripped), or the dev password in dev mode. */
  password: string;
  /** With a password file: the exact byte sequences a client may send (the file's bytes, and without one trailing newline). */
  passwordForms?: Buffer[];
  /** Worker threads for migrations; default the number of CPUs. */
  workers: number;
  /** Dev mode: binds 127.0.0.1, password `dev`, says so at start-up. */
  dev: boolean;
  /** Demo mode (`npm start` without a migrations dir): demo migrations and demo data seeded on first start. */
  demo: boolean;
  /** Create the SQLite database's directory when it does not exist (`--create`; `--demo` implies it); else that is a start-up error. */
  createDatabase?: boolean;
  /** Largest accepted request body in bytes; default 64 KiB. */
  bodyLimit: number;
  /** How long a running command may show no output or progress before `reset` may stop it, in ms; default 10 minutes. */
  stallTimeoutMs?: number;
  /** On shutdown, how long a running command may still run before it is stopped and recorded failed, in ms; default 10 s. */
  shutdownGraceMs?: number;
  /** Most captured changes finalize replays under its locks; default 1000. */
  maxFinalizeBacklog?: number;
  /** How long the finalize swap waits for its table locks before it gives up and keeps finalization_required, in ms; default the store's (about 8 s on PostgreSQL, 10 s on SQLite). */
  finalizeLockWaitMs?: number;
  /** Rows per second a migrate's transforms move unless its request or a resume says otherwise; 0 or absent: no limit. */
  maxRowsPerSecond?: number;
  /** Things the operator should know at start-up (e.g. a password file every user may read); logged as warnings. */
  warnings?: string[];
  /** Least severe level written to the log (`silent`: nothing); default `info`. */
  logLevel?: LogLevel;
}
