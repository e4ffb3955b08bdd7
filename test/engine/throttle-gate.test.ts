import { describe, expect, it } from "vitest";
import type { ThrottleState } from "../../src/core/results.ts";
import type { RunControl, StateStore } from "../../src/core/state-store.ts";
import { CancelledError } from "../../src/engine/cancelled.ts";
import { CommandOutput } from "../../src/engine/command-output.ts";
import { THROTTLE_POLL_MS, ThrottleGate } from "../../src/engine/throttle-gate.ts";
import type { BatchTransformer } from "../../src/engine/types.ts";
import { LeaseLostError } from "../../src/stores/lease-lost.ts";

/** The command row as the gate reads it (null: the lease was taken; no cancelledBy: not cancelled), the output it writes, and a clock that moves only when the gate sleeps. */
function setUp(initial: (ThrottleState & Partial<RunControl>) | null) {
  const row = { state: initial, reads: 0 };
  let output = "";
  const store = {
    readThrottle: async () => (row.reads++, row.state && { cancelledBy: null, ...row.state }),
    appendOutput: async (_owner: string, text: string) => void (output += text),
  } as unknown as StateStore;
  const out = new CommandOutput(store, "h:1:x.1", false);
  const clock = { at: 0, slept: [] as number[], onSleep: (_at: number) => {} };
  const gate = new ThrottleGate(store, "h:1:x.1", out, "migration", {
    now: () => clock.at,
    sleep: async (ms) => {
      clock.slept.push(ms);
      clock.at += ms;
      clock.onSleep(clock.at);
    },
  });
  const lines = async () => (await out.flush(), output);
  return { row, gate, clock, lines };
}

describe("ThrottleGate (fake clock and store)", () => {
  it("without pause or limit a range passes at once, and the row is read at most once per poll interval", async () => {
    const { row, gate, clock } = setUp({ paused: false, maxRowsPerSecond: 0 });
    for (let i = 0; i < 10; i++) await gate.beforeRange(5000);
    expect(clock.slept).toEqual([]);
    expect(row.reads).toBe(1);
  });

  it("holds a range until the rows before it are paid for, sleeping in slices no longer than a poll", async () => {
    const { gate, clock, lines } = setUp({ paused: false, maxRowsPerSecond: 1000 });
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await gate.beforeRange(500);
      starts.push(clock.at);
    }
    expect(starts).toEqual([0, 500, 1000]);
    expect(Math.max(...clock.slept)).toBeLessThanOrEqual(THROTTLE_POLL_MS);
    expect(await lines()).toBe("");
  });

  it("a pause holds the next range; 'paused' is written once the ranges in flight landed; 'resumed' when it goes on", async () => {
    const { row, gate, clock, lines } = setUp({ paused: false, maxRowsPerSecond: 0 });
    let land!: (rows: number) => void;
    const inner: BatchTransformer = {
      transform: () => new Promise<number>((resolve) => (land = resolve)),
      replay: async () => 0,
      close: async () => {},
    };
    const transformer = gate.watch(inner);
    await gate.beforeRange(100);
    const moving = transformer.transform({} as never);
    row.state = { paused: true, maxRowsPerSecond: 0 };
    clock.at += THROTTLE_POLL_MS;
    const waiting = gate.beforeRange(100);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await lines()).toBe("");
    clock.onSleep = (at) => {
      if (at >= 3 * THROTTLE_POLL_MS) row.state = { paused: false, maxRowsPerSecond: 0 };
    };
    land(100);
    await moving;
    await waiting;
    expect(await lines()).toBe("migration paused\nmigration resumed\n");
  });

  it("a step boundary waits while paused and passes when resumed", async () => {
    const { row, gate, clock, lines } = setUp({ paused: true, maxRowsPerSecond: 0 });
    clock.onSleep = () => {
      if (clock.slept.length === 3) row.state = { paused: false, maxRowsPerSecond: 0 };
    };
    await gate.whilePaused();
    expect(clock.slept).toEqual([THROTTLE_POLL_MS, THROTTLE_POLL_MS, THROTTLE_POLL_MS]);
    expect(await lines()).toBe("migration paused\nmigration resumed\n");
  });

  it("a cancel stops a paused run at its next read, at a range and at a step boundary, naming who cancelled", async () => {
    const { row, gate, clock, lines } = setUp({ paused: true, maxRowsPerSecond: 0 });
    clock.onSleep = () => {
      if (clock.slept.length === 2) row.state = { paused: true, maxRowsPerSecond: 0, cancelledBy: "alice@ops" };
    };
    const stopped = gate.beforeRange(100);
    await expect(stopped).rejects.toBeInstanceOf(CancelledError);
    await expect(stopped).rejects.toThrow(/^cancelled by alice@ops$/);
    expect(clock.slept).toEqual([THROTTLE_POLL_MS, THROTTLE_POLL_MS]);
    clock.at += THROTTLE_POLL_MS;
    await expect(gate.whilePaused()).rejects.toThrow("cancelled by alice@ops");
    expect(await lines()).toBe("migration paused\n");
  });

  it("a cancel stops a run that waits for its rows-per-second limit within one poll, not after the whole wait", async () => {
    const { row, gate, clock } = setUp({ paused: false, maxRowsPerSecond: 100 });
    await gate.beforeRange(10_000); // the next range would wait 100 s
    clock.onSleep = () => {
      if (clock.slept.length === 1) row.state = { paused: false, maxRowsPerSecond: 100, cancelledBy: "127.0.0.1" };
    };
    await expect(gate.beforeRange(10_000)).rejects.toThrow("cancelled by 127.0.0.1");
    expect(clock.slept).toEqual([THROTTLE_POLL_MS]);
  });

  it("stops the run when the command row no longer names its lease (reset, or another replica declared it lost)", async () => {
    const { gate } = setUp(null);
    await expect(gate.beforeRange(1)).rejects.toBeInstanceOf(LeaseLostError);
  });
});
