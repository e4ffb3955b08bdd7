import { Piscina } from "piscina";
import type { SurveyedMigration } from "../core/plan.ts";
import type { MigrationRef, SurveyTask } from "../engine/messages.ts";

/**
 * The thread `plan` looks at the pending migrations on: apart from the command pool, so a plan answers
 * while a migrate runs there, and started only when asked (it ends after a minute idle).
 */
export class SurveyPool {
  private readonly pool: Piscina;

  /** Tasks open their own store at `databaseUrl`. */
  constructor(private readonly databaseUrl: string) {
    this.pool = new Piscina({
      filename: new URL("./worker.mjs", import.meta.url).href,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 60_000,
    });
  }

  /** Loads `migrations` in the thread and surveys them read-only (see surveyMigrations). */
  async survey(migrations: MigrationRef[]): Promise<SurveyedMigration[]> {
    const task: SurveyTask = { databaseUrl: this.databaseUrl, migrations };
    return (await this.pool.run({ survey: task })) as SurveyedMigration[];
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
