import { describe, expect, it } from "vitest";
import { ReplayRates } from "../../src/core/replay-rates.ts";

describe("ReplayRates", () => {
  it("gives changes per second between the oldest reading of the last 30 s and now; none below a second", () => {
    const rates = new ReplayRates();
    expect(rates.observe(0, new Map([["a", 0]])).get("a")).toBeNull();
    expect(rates.observe(500, new Map([["a", 100]])).get("a")).toBeNull();
    expect(rates.observe(2_000, new Map([["a", 400]])).get("a")).toBe(200);
    // Readings older than 30 s fall out of the window.
    expect(rates.observe(31_000, new Map([["a", 400]])).get("a")).toBe(0);
  });

  it("starts over when a counter goes back (a new capture) and forgets tables no longer reported", () => {
    const rates = new ReplayRates();
    rates.observe(0, new Map([["a", 500]]));
    expect(rates.observe(1_000, new Map([["a", 10]])).get("a")).toBeNull();
    expect(rates.observe(2_000, new Map([["a", 30]])).get("a")).toBe(20);
    expect(rates.observe(3_000, new Map()).has("a")).toBe(false);
    expect(rates.observe(4_000, new Map([["a", 50]])).get("a")).toBeNull();
  });
});
