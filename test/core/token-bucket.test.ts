import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../src/core/token-bucket.ts";

describe("TokenBucket (the rows-per-second budget; the clock is passed in)", () => {
  it("without a limit, every range starts at once", () => {
    const bucket = new TokenBucket();
    bucket.take(5000, 0);
    expect(bucket.waitMs(0)).toBe(0);
  });

  it("a range starts once the rows before it are paid for: 20,000 rows at 5,000/s start their 4th range at 3 s and end paid at 4 s", () => {
    const bucket = new TokenBucket();
    bucket.setRate(5000, 0);
    const starts: number[] = [];
    let now = 0;
    for (let range = 0; range < 4; range++) {
      now += bucket.waitMs(now);
      starts.push(now);
      bucket.take(5000, now);
    }
    expect(starts).toEqual([0, 1000, 2000, 3000]);
    expect(bucket.waitMs(now)).toBe(1000);
  });

  it("idle time earns no credit: after a pause the next range waits for its own rows again", () => {
    const bucket = new TokenBucket();
    bucket.setRate(1000, 0);
    bucket.take(1000, 0);
    expect(bucket.waitMs(60_000)).toBe(0);
    bucket.take(1000, 60_000);
    expect(bucket.waitMs(60_000)).toBe(1000);
  });

  it("a changed rate applies to what is still owed", () => {
    const bucket = new TokenBucket();
    bucket.setRate(1000, 0);
    bucket.take(4000, 0);
    expect(bucket.waitMs(1000)).toBe(3000);
    bucket.setRate(4000, 1000);
    expect(bucket.waitMs(1000)).toBe(750);
    bucket.setRate(500, 1000);
    expect(bucket.waitMs(1000)).toBe(6000);
  });

  it("lifting the limit forgets the debt; setting one again starts from now", () => {
    const bucket = new TokenBucket();
    bucket.setRate(100, 0);
    bucket.take(10_000, 0);
    bucket.setRate(0, 10);
    expect(bucket.waitMs(10)).toBe(0);
    bucket.setRate(100, 20);
    expect(bucket.waitMs(20)).toBe(0);
    bucket.take(50, 20);
    expect(bucket.waitMs(20)).toBe(500);
  });
});
