#!/usr/bin/env node
// Node 20 cannot import .ts itself, and `--import tsx` does not reach worker threads: register tsx here.
import { register } from "tsx/esm/api";

register();
await import("../bench/main.ts");
