import type { PulumiFn } from "@pulumi/pulumi/automation";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The project's program, run in this process as an Automation API inline program, the way Pulumi's Node language
 * host runs it: the main module is required inside the stack's context, a default-exported function is called, and
 * the exports become stack outputs. Running it here needs no language-host plugin. TypeScript programs load
 * through Node's built-in type stripping (Node 22.18+); anything else should be compiled first.
 */
export function resolveMain(cwd: string, main: string | undefined): string {
  const target = path.resolve(cwd, main ?? ".");
  if (existsSync(target) && statSync(target).isFile()) return target;
  const pkg = path.join(target, "package.json");
  if (existsSync(pkg)) {
    const declared = (JSON.parse(readFileSync(pkg, "utf8")) as { main?: string }).main;
    if (declared && existsSync(path.resolve(target, declared))) return path.resolve(target, declared);
  }
  for (const candidate of ["index.ts", "index.js", "index.mjs", "index.cjs"]) {
    const file = path.join(target, candidate);
    if (existsSync(file)) return file;
  }
  throw new Error(`cannot find the program in ${target}: expected index.ts or index.js (or a "main" in Pulumi.yaml / package.json)`);
}

export function inlineProgram(mainFile: string): PulumiFn {
  return async () => {
    const loaded = require(mainFile) as Record<string, unknown> & { default?: unknown };
    const exported = loaded.default !== undefined && Object.keys(loaded).length === 1 ? loaded.default : loaded;
    const outputs = typeof exported === "function" ? await (exported as () => unknown)() : exported;
    return (outputs ?? {}) as Record<string, unknown>;
  };
}
