import { StartupError } from "../core/errors.ts";

/** `HOST:PORT`, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Why the server could not listen, in one line for the operator: a StartupError for the causes a setting can fix, else the error itself. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = `cannot listen on ${hostPort(host, port)}`;
  switch (code) {
    case "EADDRINUSE":
      return new StartupError(`${where}: the port is already in use (another service?); choose another with --port`, { cause: error });
    case "EACCES":
      return new StartupError(`${where}: permission denied (ports below 1024 need privileges); choose another with --port`, { cause: error });
    case "EADDRNOTAVAIL":
      return new StartupError(`${where}: the address is not one of this machine's; choose another with --host`, { cause: error });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new StartupError(`${where}: the host name does not resolve; choose another with --host`, { cause: error });
    default:
      return error;
  }
}
