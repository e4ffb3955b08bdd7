import { cpus, loadavg, totalmem } from "node:os";

/** Where a run was measured. */
export interface MachineInfo {
  cpu_model: string;
  cpu_count: number;
  total_memory_mb: number;
  node: string;
  database: string;
  /** 1, 5 and 15 minute load averages when the store's run started: other work on the machine skews every figure. */
  load_average: number[];
}

/** This machine, with the version of the database the store runs on. */
export function machineInfo(databaseVersion: string): MachineInfo {
  const list = cpus();
  return {
    cpu_model: list[0]?.model.trim() ?? "unknown",
    cpu_count: list.length,
    total_memory_mb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    database: databaseVersion,
    load_average: loadavg().map((load) => Number(load.toFixed(2))),
  };
}
