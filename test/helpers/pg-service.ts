import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createPostgresDatabase, type PostgresTestDatabase } from "./postgres-target.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "./test-service.ts";

/** A fresh PostgreSQL database with a schema, a migrations directory and the real service on both. */
export interface PgSetup {
  /** The database, for direct SQL. */
  db: PostgresTestDatabase;
  /** The migrations directory. */
  dir: string;
  /** Creates the gate file, letting a held migration go on. */
  release(): void;
  /** The in-process service on a free port. */
  service: TestService;
  /** Sends `cmd` and waits until it is no longer running; returns the last stats. */
  run(cmd: "migrate" | "finalize" | "reset", verbose?: boolean): Promise<Record<string, unknown>>;
  /** Stops the service (once; the database stays). */
  stop(): Promise<void>;
  /** Stops the service, drops the database and removes the directory. */
  dispose(): Promise<void>;
}

/** Migration files (name → source), or a function making them from the path of the gate file. */
export type MigrationFiles = Record<string, string> | ((gate: string) => Record<string, string>);

/** Creates a database, runs `schema` on it, writes `files` and starts the service. */
export async function startPgService(schema: string, files: MigrationFiles): Promise<PgSetup> {
  const db = await createPostgresDatabase();
  const dir = writeMigrations({});
  const gate = join(dir, "gate");
  for (const [name, source] of Object.entries(typeof files === "function" ? files(gate) : files)) writeFileSync(join(dir, name), source);
  const release = () => writeFileSync(gate, "go");
  const cleanUp = async () => {
    await db.drop();
    removeDir(dir);
  };
  let service: TestService;
  try {
    if (schema) await db.exec(schema);
    service = await startTestService(db, dir);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= (release(), service.close()));
  return {
    db,
    dir,
    release,
    service,
    async run(cmd, verbose = false) {
      const answer = await service.post({ cmd, verbose });
      if (answer.status !== 200) throw new Error(`${cmd} → ${answer.status} ${JSON.stringify(answer.body)}`);
      return service.settle();
    },
    stop,
    async dispose() {
      await stop();
      await cleanUp();
    },
  };
}

/** The SQLSTATE and message a PostgreSQL statement failed with; throws when it did not fail. */
export async function pgFailure(statement: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await statement;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message: string };
    return { code: String(code), message };
  }
  throw new Error("the statement succeeded");
}
