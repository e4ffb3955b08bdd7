#!/usr/bin/env node
// Node 20 cannot import .ts itself, and `--import tsx` does not reach worker threads: register tsx here.
import { register as registerCommonJs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";
import { registerServiceImports } from "../src/migrations/register-service-imports.mjs";

register();
// A .ts migration outside a "type": "module" package loads as CommonJS; this hook compiles it too.
registerCommonJs();
registerServiceImports();
await import("../src/cli/main.ts");
