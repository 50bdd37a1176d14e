import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./engine-env";

/**
 * Pulumi's package metaschema (pkg/codegen/schema/pulumi.json) at exactly the pinned Pulumi version, from the Go
 * module the CLI build already uses (scripts/pulumi-cli/go.mod): nothing copied into this repository, nothing
 * fetched from anywhere but the Go module proxy.
 */
export function pulumiMetaschema(): Record<string, unknown> {
  const out = execFileSync("go", ["mod", "download", "-json", "github.com/pulumi/pulumi/pkg/v3"], { cwd: path.join(REPO_ROOT, "scripts", "pulumi-cli"), encoding: "utf8" });
  const { Dir } = JSON.parse(out) as { Dir: string };
  return JSON.parse(readFileSync(path.join(Dir, "codegen", "schema", "pulumi.json"), "utf8")) as Record<string, unknown>;
}
