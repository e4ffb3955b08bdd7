/** A replay between commands stopped because a command started: that command replays from here. */
export class ReplayYielded extends Error {
  constructor() {
    super("A command started; the replay between commands stopped");
    this.name = "ReplayYielded";
  }
}
