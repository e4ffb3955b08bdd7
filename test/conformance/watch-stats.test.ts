import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationState, type StatsResponse } from "../../src/gen/migrations/v1/migrations_pb.ts";
import { ITEM_SCHEMA, itemMigration } from "../helpers/migration-sources.ts";
import { STORE_TARGETS } from "../helpers/store-targets.ts";
import { removeDir, startTestService, writeMigrations, type TestService } from "../helpers/test-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A service whose migration waits in dataManipulation until `release()`. */
async function gatedService(target: (typeof STORE_TARGETS)[number]) {
  const db = await target.create();
  await db.exec(ITEM_SCHEMA);
  const dir = writeMigrations({});
  const gate = join(dir, "gate");
  writeFileSync(join(dir, "0001_add_label.mjs"), itemMigration({ gate: { step: "dataManipulation", file: gate } }));
  const service = await startTestService(db, dir);
  cleanups.push(async () => {
    writeFileSync(gate, "go");
    await service.close();
    await db.drop();
    removeDir(dir);
  });
  return { service, release: () => writeFileSync(gate, "go") };
}

/** Reads a WatchStats stream into `seen` until `until` holds for a message; then leaves it. */
async function watchUntil(
  stream: (signal: AbortSignal) => AsyncIterable<{ stats?: StatsResponse }>,
  seen: { at: number; stats: StatsResponse }[],
  until: (stats: StatsResponse) => boolean,
  onFirst: () => Promise<unknown>,
): Promise<void> {
  const controller = new AbortController();
  try {
    for await (const message of stream(controller.signal)) {
      seen.push({ at: Date.now(), stats: message.stats! });
      if (seen.length === 1) await onFirst();
      if (until(message.stats!)) break;
    }
  } finally {
    controller.abort();
  }
}

const stateOf = (s: StatsResponse) => s.status;

/** What the service compares to decide a message is news: everything but the rate and ETA, which move with the clock. */
const newsOf = (s: StatsResponse) =>
  JSON.stringify(
    [s.status, s.output, s.exception, s.migratableModels, s.tables, s.warnings, s.command && [s.command.running, s.command.endedAt, s.command.name], s.writes, s.throttle, s.migrations],
    (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value),
  );

for (const target of STORE_TARGETS) {
  describe(`live progress for operators (${target.name})`, () => {
    it("stats adds per table progress and the command's runner, times, rate and ETA, on both faces", async () => {
      const { service, release } = await gatedService(target);
      release();
      await service.post({ cmd: "migrate" });
      const stats = await service.settle();
      expect(stats).toMatchObject({ status: "finalization_required", tables: { item: { count: 50, migrated: 50 } } });
      const command = stats.command as Record<string, unknown>;
      expect(command).toMatchObject({ name: "migrate", running: false, eta_seconds: null });
      expect(command.runner).toMatch(/^[^:]+:\d+:[0-9a-f]{8}\.\d+$/);
      const started = Date.parse(String(command.started_at));
      const ended = Date.parse(String(command.ended_at));
      expect(ended).toBeGreaterThanOrEqual(started);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(command.rows_per_second).toBeGreaterThan(0);

      const rpc = await service.connect.stats({});
      expect(rpc.tables.map((t) => [t.table, t.count, t.migrated])).toEqual([["item", 50n, 50n]]);
      expect(rpc.command).toMatchObject({ name: "migrate", running: false, runner: command.runner });
      expect(Number(rpc.command!.startedAt!.seconds) * 1000 + Math.round(rpc.command!.startedAt!.nanos / 1e6)).toBe(started);
    });

    for (const face of ["connect", "grpc"] as const) {
      it(`WatchStats over ${face === "connect" ? "Connect on HTTP/1.1" : "gRPC on h2c"}: the stats at once, then each change, at most 4 a second, until the client leaves`, async () => {
        const { service, release } = await gatedService(target);
        const client = (service as TestService)[face];
        const seen: { at: number; stats: StatsResponse }[] = [];
        const started = Date.now();
        await watchUntil(
          (signal) => client.watchStats({}, { signal }),
          seen,
          (s) => s.status === MigrationState.FINALIZATION_REQUIRED,
          async () => {
            await service.post({ cmd: "migrate" });
            setTimeout(release, 600);
          },
        );
        const elapsed = Date.now() - started;
        const states = seen.map((m) => stateOf(m.stats));
        expect(states[0]).toBe(MigrationState.MIGRATION_REQUIRED);
        expect(states).toContain(MigrationState.MIGRATION_RUNNING);
        expect(states.at(-1)).toBe(MigrationState.FINALIZATION_REQUIRED);
        const running = seen.find((m) => m.stats.status === MigrationState.MIGRATION_RUNNING)!.stats;
        expect(running.command).toMatchObject({ name: "migrate", running: true });
        const last = seen.at(-1)!.stats;
        expect(last.tables.map((t) => [t.table, t.migrated])).toEqual([["item", 50n]]);
        expect(last.output).toMatch(/migration finished\n$/);
        // Only changes are sent: no two messages in a row are the same, and the server looks 4 times a second at most.
        for (let i = 1; i < seen.length; i++) expect(newsOf(seen[i]!.stats)).not.toBe(newsOf(seen[i - 1]!.stats));
        expect(seen.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
        // The service keeps answering after the client left the stream.
        expect((await service.post({ cmd: "stats" })).status).toBe(200);
      });
    }
  });
}
