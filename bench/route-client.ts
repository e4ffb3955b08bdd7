/** The states of CONTRACT §2, as the JSON route spells them. */
export type MigrationState =
  | "migration_required"
  | "migration_running"
  | "migration_failed"
  | "finalization_required"
  | "finalization_running"
  | "finalization_failed"
  | "finalized";

/** What `migrate` / `finalize` / `reset` answer (migration_route.md). */
export interface CommandAnswer {
  status: MigrationState;
  output?: string;
  exception?: string;
}

/** What `stats` answers inside `stats` (migration_route.md). */
export interface StatsAnswer extends CommandAnswer {
  current_migration_index: number;
  target_migration_index: number;
  migratable_models: { count: number; migrated: number };
}

const REQUEST_TIMEOUT_MS = 120_000;

/** A client of `POST /internal/migrations/`, authenticated the way existing clients are. */
export class RouteClient {
  private readonly auth: string;

  /** `baseUrl` is `http://127.0.0.1:PORT`. */
  constructor(
    private readonly baseUrl: string,
    password: string,
  ) {
    this.auth = Buffer.from(password).toString("base64");
  }

  /** Sends `migrate` / `finalize` / `reset`; the answer comes after about 200 ms, whatever the state. */
  async command(cmd: "migrate" | "finalize" | "reset", verbose: boolean): Promise<CommandAnswer> {
    const body = await this.post({ cmd, verbose });
    if (typeof body.status !== "string") throw new Error(`${cmd} answered an unexpected body: ${JSON.stringify(body).slice(0, 500)}`);
    return body as unknown as CommandAnswer;
  }

  /** Sends `stats`. */
  async stats(): Promise<StatsAnswer> {
    const body = await this.post({ cmd: "stats" });
    const stats = body.stats as StatsAnswer | undefined;
    if (stats === undefined || typeof stats.status !== "string" || typeof stats.migratable_models?.count !== "number") {
      throw new Error(`stats answered an unexpected body: ${JSON.stringify(body).slice(0, 500)}`);
    }
    return stats;
  }

  private async post(payload: object): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.baseUrl}/internal/migrations/`, {
      method: "POST",
      headers: { authorization: this.auth, "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`${JSON.stringify(payload)} answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 500)}`);
    }
    if (response.status !== 200 || body.success !== true) {
      throw new Error(`${JSON.stringify(payload)} was refused: HTTP ${response.status} ${JSON.stringify(body).slice(0, 1000)}`);
    }
    return body;
  }
}
