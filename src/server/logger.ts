/** The injected logger of the server: structured object or plain message. Never a global import. */
export interface Logger {
  /** Routine events (listening, closing). */
  info(entry: object | string): void;
  /** Client-caused trouble worth a look (bad sockets, aborted requests). */
  warn(entry: object | string): void;
  /** Server faults; receives the details (stack) that clients never see. */
  error(entry: object | string): void;
}

/** A logger that drops everything; the default for tests and embedders without one. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
