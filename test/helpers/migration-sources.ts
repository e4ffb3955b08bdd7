/** Portable schema and 50 rows of the `item` table the conformance migrations change. */
export const ITEM_SCHEMA = `
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL DEFAULT 0);
CREATE INDEX item_name ON item (name);
INSERT INTO item (id, name, qty) VALUES ${Array.from({ length: 50 }, (_, i) => `(${i + 1}, 'item-${i + 1}', ${i % 7})`).join(", ")};
`;

/** Where a fixture migration waits for a gate file, or throws. */
export type Step = "checkPrerequisites" | "dataDefinition" | "dataManipulation" | "cleanup";

/** Knobs of the fixture migration. */
export interface ItemMigrationOptions {
  /** Waits in this step until the file `gate.file` exists (keeps a command running deterministically). */
  gate?: { step: Step; file: string };
  /** Throws `new Error(message)` in this step. */
  fail?: { step: Step; message: string };
  /** Text `checkPrerequisites` returns. */
  refuse?: string;
  /** Column this migration adds (default `label`), filled by a transform. */
  column?: string;
  /** Tables it declares (default ["item"]). */
  tables?: string[];
}

/**
 * Source of a plain-JS migration on `item`: adds a column and fills it with a transform
 * (`<name>#<id>`), with optional gates and failures for reaching each state.
 */
export function itemMigration(options: ItemMigrationOptions = {}): string {
  const column = options.column ?? "label";
  const body = (step: Step, rest = "") =>
    [
      options.gate?.step === step ? `await waitFor(${JSON.stringify(options.gate.file)});` : "",
      options.fail?.step === step ? `throw new Error(${JSON.stringify(options.fail.message)});` : "",
      rest,
    ].join("\n    ");
  return `import { existsSync } from "node:fs";
const waitFor = async (file) => { while (!existsSync(file)) await new Promise((r) => setTimeout(r, 10)); };
export default {
  tables: ${JSON.stringify(options.tables ?? ["item"])},
  async checkPrerequisites(db) {
    ${body("checkPrerequisites", `return ${JSON.stringify(options.refuse ?? "")};`)}
  },
  async dataDefinition(db) {
    ${body("dataDefinition", `await db.exec('ALTER TABLE item ADD COLUMN ${column} TEXT');`)}
  },
  transform: { item: (row) => ({ ...row, ${column}: row.name + "#" + row.id }) },
  async dataManipulation(db) {
    ${body("dataManipulation")}
  },
  async cleanup(db) {
    ${body("cleanup")}
  },
};
`;
}
