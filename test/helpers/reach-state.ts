import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ITEM_SCHEMA, itemMigration, type ItemMigrationOptions } from "./migration-sources.ts";
import type { StoreTarget, TestDatabase } from "./store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "./test-service.ts";

/** A service brought into one state of CONTRACT §2, with what the test needs to go on. */
export interface StagedService {
  service: TestService;
  db: TestDatabase;
  /** Creates the gate file, letting a held command go on. */
  release(): void;
  /** Stops the service and drops everything. */
  dispose(): Promise<void>;
}

/** Starts a service on a seeded `item` table with one fixture migration and drives it into `state`. */
export async function reachState(target: StoreTarget, state: string): Promise<StagedService> {
  const db = await target.create();
  await db.exec(ITEM_SCHEMA);
  const dir = writeMigrations({});
  const gateFile = join(dir, "gate");
  const options: ItemMigrationOptions = {
    migration_running: { gate: { step: "dataDefinition" as const, file: gateFile } },
    migration_failed: { fail: { step: "dataManipulation" as const, message: "boom in dataManipulation" } },
    finalization_running: { gate: { step: "cleanup" as const, file: gateFile } },
    finalization_failed: { fail: { step: "cleanup" as const, message: "boom in cleanup" } },
  }[state] ?? {};
  writeFileSync(join(dir, "0001_add_label.mjs"), itemMigration(options));
  const release = () => writeFileSync(gateFile, "go");
  const service = await startTestService(db, dir).catch(async (error: unknown) => {
    await db.drop();
    removeDir(dir);
    throw error;
  });
  const dispose = async () => {
    release();
    await service.close();
    await db.drop();
    removeDir(dir);
  };
  try {
    await drive(state, service);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { service, db, release, dispose };
}

/** Sends the commands that lead from `migration_required` to `state`, then checks that it got there. */
async function drive(state: string, service: TestService): Promise<void> {
  const send = async (cmd: string) => {
    const answer = await service.post({ cmd });
    if (answer.status !== 200) throw new Error(`${cmd} → ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  switch (state) {
    case "migration_required":
      break;
    case "migration_running":
    case "migration_failed":
    case "finalization_required":
      await send("migrate");
      break;
    case "finalization_running":
    case "finalization_failed":
    case "finalized":
      await send("migrate");
      await service.settle();
      await send("finalize");
      break;
    default:
      throw new Error(`unknown state ${state}`);
  }
  if (!state.endsWith("_running")) await service.settle();
  const stats = (await service.post({ cmd: "stats" })).body.stats as { status: string };
  if (stats.status !== state) throw new Error(`wanted ${state}, reached ${stats.status}`);
}
