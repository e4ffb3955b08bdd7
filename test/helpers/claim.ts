import type { CommandClaim, StateStore } from "../../src/core/state-store.ts";

/** Claims a command on `store` as the manager does: on the version of a fresh snapshot; `fields` default to an empty `migrate`. */
export async function claimOn(store: StateStore, owner: string, fields: Partial<CommandClaim> = {}): Promise<boolean> {
  const { version } = (await store.snapshot()).command;
  return store.claimCommand({ command: "migrate", owner, verbose: false, migrations: [], count: 0, version, protect: [], output: "", ...fields });
}
