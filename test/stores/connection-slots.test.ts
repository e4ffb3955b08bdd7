import { describe, expect, it } from "vitest";
import { closeThreadConnections, ConnectionSlots } from "../../src/stores/connection-slots.ts";

/** Connections that are numbered objects, with the log of what opened and closed. */
function fakeSlots(perKey?: number) {
  const log: string[] = [];
  let opened = 0;
  const slots = new ConnectionSlots<{ n: number }>(
    async (key) => {
      opened++;
      log.push(`open ${opened} ${key}`);
      return { n: opened };
    },
    async (connection) => {
      log.push(`close ${connection.n}`);
    },
    perKey,
  );
  return { slots, log };
}

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

describe("connection slots (a thread's worker connections, one per job it runs at a time)", () => {
  it("jobs at the same time get connections of their own; one after another reuse the first", async () => {
    const { slots, log } = fakeSlots();
    const first = gate();
    const seen: number[] = [];
    const a = slots.use("db", async (c) => {
      seen.push(c.n);
      await first.opened;
    });
    const b = slots.use("db", async (c) => {
      seen.push(c.n);
    });
    await b;
    first.open();
    await a;
    await slots.use("db", async (c) => void seen.push(c.n));
    expect(seen).toEqual([1, 2, 1]);
    expect(log).toEqual(["open 1 db", "open 2 db"]);
    await closeThreadConnections();
    expect(log.slice(2).sort()).toEqual(["close 1", "close 2"]);
  });

  it("with one slot per key, a second job waits for the first to finish, on the same connection", async () => {
    const { slots, log } = fakeSlots(1);
    const first = gate();
    const order: string[] = [];
    const a = slots.use("db", async () => {
      order.push("a starts");
      await first.opened;
      order.push("a ends");
    });
    const b = slots.use("db", async (c) => void order.push(`b on ${c.n}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.open();
    await Promise.all([a, b]);
    expect(order).toEqual(["a starts", "a ends", "b on 1"]);
    expect(log).toEqual(["open 1 db"]);
    await closeThreadConnections();
  });

  it("a job that fails closes its connection; the next one opens a fresh one", async () => {
    const { slots, log } = fakeSlots();
    await expect(slots.use("db", async () => Promise.reject(new Error("broken")))).rejects.toThrow("broken");
    await slots.use("db", async () => {});
    expect(log).toEqual(["open 1 db", "close 1", "open 2 db"]);
    await closeThreadConnections();
  });
});
