import { afterEach, describe, expect, it } from "vitest";
import { inTurn, newWriteTurns, useWriteTurns } from "../../src/stores/write-turns.ts";

afterEach(() => useWriteTurns(null));

describe("write turns (SQLite's range writers take turns instead of sleeping on a busy file)", () => {
  it("a write waits while another thread holds the turn and runs as soon as it is given back", async () => {
    const lock = newWriteTurns();
    useWriteTurns(lock);
    const other = new Int32Array(lock);
    Atomics.store(other, 0, 1); // another thread's turn
    const order: string[] = [];
    const write = inTurn(() => order.push("write"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push("released");
    Atomics.store(other, 0, 0);
    Atomics.notify(other, 0, 1);
    await write;
    expect(order).toEqual(["released", "write"]);
    expect(Atomics.load(other, 0)).toBe(0);
  });

  it("a write that throws gives the turn back", async () => {
    const lock = newWriteTurns();
    useWriteTurns(lock);
    await expect(inTurn(() => { throw new Error("disk full"); })).rejects.toThrow("disk full");
    expect(await inTurn(() => "next")).toBe("next");
  });

  it("a turn never given back (its thread died) delays a write, never stops it", async () => {
    const lock = newWriteTurns();
    useWriteTurns(lock);
    Atomics.store(new Int32Array(lock), 0, 1);
    expect(await inTurn(() => "written")).toBe("written");
  }, 30_000);

  it("without turns a write runs at once", async () => {
    expect(await inTurn(() => 42)).toBe(42);
  });
});
