import { hostname } from "node:os";
import type { CommandRecord } from "../core/state-store.ts";

/** A running command whose heartbeat is older than this is considered dead, in ms. */
export const HEARTBEAT_TIMEOUT_MS = 15_000;

/** The parts of an owner id `host:pid:random` (the host may itself contain colons). */
export interface OwnerId {
  /** Host name of the process. */
  host: string;
  /** Process id on that host. */
  pid: number;
}

/** Parses `host:pid:random`; null when the text does not have that shape. */
export function parseOwner(owner: string): OwnerId | null {
  const parts = owner.split(":");
  if (parts.length < 3) return null;
  const pid = Number(parts[parts.length - 2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { host: parts.slice(0, -2).join(":"), pid };
}

/** Whether a process with `pid` exists on this host (signal 0 probe; EPERM means it exists). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the owner of a running command is alive: on this host its pid must exist and its heartbeat
 * be fresh; on another host only the heartbeat age can tell.
 */
export function ownerAliveByHeartbeat(command: CommandRecord, now = Date.now()): boolean {
  if (!command.running || command.owner === null) return false;
  const beat = command.heartbeatAt ?? command.startedAt;
  const fresh = beat !== null && now - beat < HEARTBEAT_TIMEOUT_MS;
  const id = parseOwner(command.owner);
  if (id === null) return fresh;
  if (id.host === hostname() && !processExists(id.pid)) return false;
  return fresh;
}
