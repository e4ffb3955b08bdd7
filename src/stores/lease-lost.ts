/**
 * A run tried to write after its lease on the running command was taken (declared lost, interrupted,
 * replaced by another command): nothing was written, and the run must stop.
 */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";

  /** `owner` is the lease that was lost; `what` names the write that was refused. */
  constructor(
    readonly owner: string,
    what: string,
  ) {
    super(`The command's lease (${owner}) was taken by another command or declared lost; ${what} was not done`);
  }
}
