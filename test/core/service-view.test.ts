import { describe, expect, it } from "vitest";
import { deriveView } from "../../src/core/service-view.ts";
import type { CommandRecord, Snapshot } from "../../src/core/state-store.ts";

const idle: CommandRecord = {
  command: null, running: false, owner: null, verbose: false, output: "", exception: null,
  count: 0, migrated: 0, startedAt: null, endedAt: null, heartbeatAt: null, progressCursor: 0, tables: [], progressAt: null, version: 0, paused: false, maxRowsPerSecond: 0, rateBase: null, cancelledBy: null, swapping: false,
};
const NO_RUN = { startedAt: null, finishedAt: null, finalizedAt: null, rowsMoved: 0, lockWindowMs: null };
const PLAIN = { dataDefinition: false, dataManipulation: false, cleanup: false, sqlTransforms: [] };
const registry = [
  { index: 1, name: "0001_a", checksum: "a", tables: ["t"], traits: PLAIN },
  { index: 2, name: "0002_b", checksum: "b", tables: ["u"], traits: PLAIN },
];

describe("deriveView", () => {
  it("derives status, indexes and a warning for a changed finalized file", () => {
    const snapshot: Snapshot = {
      migrations: [{ index: 1, name: "0001_a", checksum: "old", state: "finalized", ...NO_RUN }],
      command: idle,
      guarded: [],
    };
    const view = deriveView(registry, snapshot);
    expect(view).toMatchObject({ status: "migration_required", current: 1, target: 2 });
    expect(view.warnings).toEqual(["Migration 0001_a is finalized, but its file changed since; the change is not applied."]);
  });

  it("reports migration_running while a reset (which moves no records) runs", () => {
    const snapshot: Snapshot = {
      migrations: [{ index: 1, name: "0001_a", checksum: "a", state: "migration_failed", ...NO_RUN }],
      command: { ...idle, command: "reset", running: true, owner: "h:1:x" },
      guarded: [],
    };
    expect(deriveView(registry, snapshot).status).toBe("migration_running");
  });

  it("keeps a recorded running state as it is", () => {
    const snapshot: Snapshot = {
      migrations: [{ index: 1, name: "0001_a", checksum: "a", state: "finalization_running", ...NO_RUN }],
      command: { ...idle, command: "finalize", running: true, owner: "h:1:x" },
      guarded: [],
    };
    expect(deriveView(registry.slice(0, 1), snapshot).status).toBe("finalization_running");
  });
});
