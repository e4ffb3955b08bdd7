// Worker-thread entry of the command pool. Node 20 does not carry tsx's `--import` into worker
// threads, so this plain-JS shim registers the TypeScript loader before importing the real worker.
import { register } from "tsx/esm/api";

register();
const worker = await import("./command-worker.ts");

/** Runs one claimed command (see command-worker.ts). */
export default worker.default;
