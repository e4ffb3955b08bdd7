/** How long a worker thread keeps an unused range connection open, in ms. */
export const RANGE_CONNECTION_IDLE_MS = 1_000;

interface Slot<C> {
  connection: Promise<C>;
  timer: NodeJS.Timeout | null;
  inUse: boolean;
}

/** Every ConnectionSlots of this thread, for closeThreadConnections. */
const everyCache = new Set<{ closeIdle(): Promise<void> }>();

/**
 * A thread's connections per key (a database), one per concurrent user: a use takes the lowest slot no
 * other use of the key holds, each slot with a connection of its own, opened on first use, kept across
 * uses and closed once unused for `idleMs`. A thread that moves two ranges at once thus never shares a
 * connection (or its transaction) between them, and one that moves one at a time keeps one connection.
 * With `perKey` slots taken, a use waits for one. A use that fails closes its connection: the next one
 * starts clean.
 */
export class ConnectionSlots<C> {
  private readonly slots = new Map<string, Slot<C>>();
  private readonly taken = new Map<string, Set<number>>();
  private readonly waiting = new Map<string, (() => void)[]>();

  /** `connect` opens a connection for a key; `disconnect` closes one; at most `perKey` uses of a key run at once. */
  constructor(
    private readonly connect: (key: string) => Promise<C>,
    private readonly disconnect: (connection: C) => Promise<void>,
    private readonly perKey = Infinity,
    private readonly idleMs = RANGE_CONNECTION_IDLE_MS,
  ) {
    everyCache.add(this);
  }

  /** Runs `fn` on a connection for `key` that no other running use holds. */
  async use<T>(key: string, fn: (connection: C) => Promise<T>): Promise<T> {
    let taken = this.taken.get(key);
    if (taken === undefined) {
      taken = new Set();
      this.taken.set(key, taken);
    }
    while (taken.size >= this.perKey) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    }
    let number = 0;
    while (taken.has(number)) number++;
    taken.add(number);
    const name = `${number}\u0000${key}`;
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = { connection: this.connect(key), timer: null, inUse: false };
      this.slots.set(name, slot);
    }
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    slot.inUse = true;
    const held = slot;
    try {
      const result = await fn(await held.connection);
      held.inUse = false;
      held.timer = setTimeout(() => void this.close(name, held), this.idleMs);
      held.timer.unref();
      return result;
    } catch (error) {
      await this.close(name, held);
      throw error;
    } finally {
      taken.delete(number);
      const next = this.waiting.get(key)?.shift();
      if (this.waiting.get(key)?.length === 0) this.waiting.delete(key);
      if (next !== undefined) next();
      else if (taken.size === 0) this.taken.delete(key);
    }
  }

  /** Closes every connection no use holds now. */
  async closeIdle(): Promise<void> {
    await Promise.all([...this.slots].filter(([, slot]) => !slot.inUse).map(([name, slot]) => this.close(name, slot)));
  }

  private async close(name: string, slot: Slot<C>): Promise<void> {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    if (this.slots.get(name) === slot) this.slots.delete(name);
    const connection = await slot.connection.catch(() => null);
    if (connection !== null) await this.disconnect(connection).catch(() => {});
  }
}

/**
 * Closes this thread's idle worker connections now. A piscina thread blocks between tasks (Atomics.wait),
 * so its idle timers do not fire until the next task: the thread that ran a command's ranges itself closes
 * them when the command ends.
 */
export async function closeThreadConnections(): Promise<void> {
  await Promise.all([...everyCache].map((cache) => cache.closeIdle()));
}
