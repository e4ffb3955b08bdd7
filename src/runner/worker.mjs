// Worker-thread entry of the command pool. Node 20 does not carry tsx's `--import` into worker
// threads, so this plain-JS shim registers the TypeScript loader before importing the real worker.
import { register as registerCommonJs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";
import { registerServiceImports } from "../migrations/register-service-imports.mjs";

register();
// A .ts migration outside a "type": "module" package loads as CommonJS; this hook compiles it too.
registerCommonJs();
registerServiceImports();
const worker = await import("./command-worker.ts");

/** Runs one claimed command (see command-worker.ts). */
export default worker.default;
