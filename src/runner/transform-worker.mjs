// Worker-thread entry of the transform pool; the same tsx shim as worker.mjs, because the migration
// files a transform thread imports may be TypeScript.
import { register as registerCommonJs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";
import { registerServiceImports } from "../migrations/register-service-imports.mjs";

register();
// A .ts migration outside a "type": "module" package loads as CommonJS; this hook compiles it too.
registerCommonJs();
registerServiceImports();
const worker = await import("./transform-task.ts");

/** Applies one table's transform to a batch of rows (see transform-task.ts). */
export default worker.default;
