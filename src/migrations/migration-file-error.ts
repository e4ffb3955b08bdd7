/** A migration file (or the directory of them) that cannot be used, with one clear message naming it. */
export class MigrationFileError extends Error {
  override readonly name = "MigrationFileError";
}
