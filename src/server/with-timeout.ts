/** Thrown by withTimeout when the work did not settle in time. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** `work`, or a TimeoutError saying `what did not answer within N ms` after `ms` milliseconds. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
