/** How long a worker thread keeps an unused range connection open, in ms. */
export const RANGE_CONNECTION_IDLE_MS = 1_000;

/**
 * One connection per database for the thread that holds this cache, opened on first use and closed once
 * unused for `idleMs`, so a worker thread keeps its connection across the ranges of a table but none
 * outlives the command. A call that fails closes its connection: the next one starts clean.
 */
export class IdleConnections<C> {
  private readonly open = new Map<string, { connection: Promise<C>; timer: NodeJS.Timeout | null }>();

  /** `connect` opens a connection for a key; `disconnect` closes one. */
  constructor(
    private readonly connect: (key: string) => Promise<C>,
    private readonly disconnect: (connection: C) => Promise<void>,
    private readonly idleMs = RANGE_CONNECTION_IDLE_MS,
  ) {}

  /** Runs `fn` on the connection for `key`. */
  async use<T>(key: string, fn: (connection: C) => Promise<T>): Promise<T> {
    let entry = this.open.get(key);
    if (entry === undefined) {
      entry = { connection: this.connect(key), timer: null };
      this.open.set(key, entry);
    }
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    const held = entry;
    try {
      const connection = await held.connection;
      const result = await fn(connection);
      held.timer = setTimeout(() => void this.close(key, held), this.idleMs);
      held.timer.unref();
      return result;
    } catch (error) {
      await this.close(key, held);
      throw error;
    }
  }

  private async close(key: string, entry: { connection: Promise<C> }): Promise<void> {
    if (this.open.get(key) === entry) this.open.delete(key);
    const connection = await entry.connection.catch(() => null);
    if (connection !== null) await this.disconnect(connection).catch(() => {});
  }
}
