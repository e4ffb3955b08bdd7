import { describe, expect, it } from "vitest";
import { commandSummary } from "../../src/core/command-summary.ts";
import type { CommandRecord } from "../../src/core/state-store.ts";

const record = (fields: Partial<CommandRecord>): CommandRecord => ({
  command: "migrate", running: true, owner: "h:1:x", verbose: false, output: "", exception: null, count: 1000, migrated: 0,
  startedAt: 10_000, endedAt: null, heartbeatAt: null, progressCursor: 0, tables: [], progressAt: null, version: 1, paused: false, maxRowsPerSecond: 0, rateBase: null, cancelledBy: null, swapping: false, ...fields,
});

describe("commandSummary", () => {
  it("is null before the first command", () => {
    expect(commandSummary(record({ command: null, running: false, owner: null, startedAt: null }), 20_000)).toBeNull();
  });

  it("while running: rate since the start and the seconds left at that rate", () => {
    expect(commandSummary(record({ migrated: 250 }), 15_000)).toEqual({
      name: "migrate", running: true, runner: "h:1:x", startedAt: 10_000, endedAt: null, rowsPerSecond: 50, etaSeconds: 15,
    });
  });

  it("while running without a moved row: no rate and no ETA; with everything moved: ETA 0", () => {
    expect(commandSummary(record({ migrated: 0 }), 15_000)).toMatchObject({ rowsPerSecond: null, etaSeconds: null });
    expect(commandSummary(record({ migrated: 1000 }), 15_000)).toMatchObject({ rowsPerSecond: 200, etaSeconds: 0 });
  });

  it("once ended: the rate over the whole run, no ETA", () => {
    expect(commandSummary(record({ running: false, migrated: 1000, endedAt: 14_000 }), 99_000)).toMatchObject({
      running: false, endedAt: 14_000, rowsPerSecond: 250, etaSeconds: null,
    });
  });

  it("the ETA counts from the first transform: rows a copy landed at once before it do not speed it up", () => {
    // 600 rows copied in the first second, then 100 transformed in the 4 s since the transform began.
    const running = record({ migrated: 700, rateBase: { at: 11_000, migrated: 600 } });
    expect(commandSummary(running, 15_000)).toMatchObject({ rowsPerSecond: 140, etaSeconds: 12 });
  });

  it("right after the transform began, with no row transformed yet: no ETA", () => {
    expect(commandSummary(record({ migrated: 600, rateBase: { at: 11_000, migrated: 600 } }), 15_000)).toMatchObject({ rowsPerSecond: 120, etaSeconds: null });
  });

  it("paused: no ETA; once ended: none either", () => {
    expect(commandSummary(record({ migrated: 700, paused: true, rateBase: { at: 11_000, migrated: 600 } }), 15_000)).toMatchObject({ etaSeconds: null });
    expect(commandSummary(record({ running: false, endedAt: 14_000, migrated: 1000, rateBase: { at: 11_000, migrated: 600 } }), 15_000)).toMatchObject({ etaSeconds: null });
  });
});
