import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** The package name the engine knows the plugin by, and the module of every resource token. */
export const PACKAGE_NAME = "posthog-warehouse";

export interface PackageSchema {
  version: string;
}

/** The package root: the nearest folder with package.json above this file (dist/provider/native or provider/native). */
export function packageRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`pulumi-posthog-warehouse: no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** schema.json as shipped in the package (generated from the zod schemas by scripts/generate-schema.ts). */
export function loadSchema(): { text: string; schema: PackageSchema } {
  const text = readFileSync(path.join(packageRoot(), "schema.json"), "utf8");
  return { text, schema: JSON.parse(text) as PackageSchema };
}
