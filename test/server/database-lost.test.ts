import { Code, ConnectError } from "@connectrpc/connect";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/cli-process.ts";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { createPostgresDatabase } from "../helpers/postgres-target.ts";
import { sqliteTarget, type TestDatabase } from "../helpers/store-targets.ts";
import { removeDir, startTestService, TEST_PASSWORD, writeMigrations, type RouteAnswer, type TestService } from "../helpers/test-service.ts";

const scratch = mkdtempSync(join(tmpdir(), "db-lost-"));
const passwordFile = join(scratch, "password");
writeFileSync(passwordFile, TEST_PASSWORD);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Polls the route until it answers something else than 200 (the first request may still see the old connection). */
async function firstRefusal(service: TestService, body: unknown): Promise<RouteAnswer> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await service.post(body);
    if (answer.status !== 200) return answer;
    if (Date.now() > deadline) throw new Error(`still 200 after 30 s: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A store whose database a test can lose, and the reason the service then gives. */
interface LosableStore {
  name: string;
  create(): Promise<TestDatabase>;
  /** Loses the database under the running service; resolves to the reason every face must then give. */
  lose(db: TestDatabase): Promise<string>;
}

const STORES: LosableStore[] = [
  {
    name: "postgres",
    create: createPostgresDatabase,
    async lose(db) {
      await db.drop(); // DROP DATABASE … WITH (FORCE): terminates the service's connections first
      return `database "${(db as Awaited<ReturnType<typeof createPostgresDatabase>>).name}" does not exist`;
    },
  },
  {
    name: "sqlite",
    create: () => sqliteTarget.create(),
    async lose(db) {
      const path = db.url.slice("sqlite:".length);
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
      return `the SQLite database ${path} was deleted or moved while the service ran`;
    },
  },
];

describe.each(STORES)("a lost database ($name)", (store) => {
  // A service and two CLI processes: a minute or more on a busy machine.
  it("makes the route answer 503, the RPCs unavailable and the CLI say it in one line with exit 3", { timeout: 180_000 }, async () => {
    const db = await store.create();
    await db.exec(ITEM_SCHEMA);
    const dir = writeMigrations({ "0001_item_label.mjs": itemMigration() });
    const service = await startTestService(db, dir);
    try {
      expect((await service.post({ cmd: "stats" })).status).toBe(200);
      const reason = await store.lose(db);
      const message = `database unavailable: ${reason}`;

      expect(await firstRefusal(service, { cmd: "stats" })).toEqual({ status: 503, body: { success: false, message } });
      expect(await service.post({ cmd: "migrate" })).toEqual({ status: 503, body: { success: false, message } });
      expect(await service.post({ cmd: "progress" })).toEqual({ status: 503, body: { success: false, message } });

      const rpc = await service.connect.stats({}).catch((error: unknown) => error);
      expect(rpc).toBeInstanceOf(ConnectError);
      expect([(rpc as ConnectError).code, (rpc as ConnectError).rawMessage]).toEqual([Code.Unavailable, message]);
      const migrate = await service.grpc.migrate({}).catch((error: unknown) => error);
      expect([(migrate as ConnectError).code, (migrate as ConnectError).rawMessage]).toEqual([Code.Unavailable, message]);

      const ready = await fetch(`${service.baseUrl}/ready`);
      expect([ready.status, await ready.json()]).toEqual([503, { status: "not ready", reason: message }]);

      for (const command of ["stats", "migrate"]) {
        const cli = await runCli([command, "--url", service.baseUrl, "--password-file", passwordFile]);
        expect(cli, command).toEqual({
          code: 3,
          stdout: "",
          stderr: `The migration service at ${service.baseUrl} cannot reach its database: ${reason}\n`,
        });
      }
    } finally {
      await service.close();
      await db.drop();
      removeDir(dir);
    }
  });
});
