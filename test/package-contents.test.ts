import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "./harness/engine-env";

/*
 * What `npm pack` ships (the tarball user projects install, scripts/user-project.js): the compiled package, no
 * leftover of a source file that no longer exists. tsc never deletes outputs, so without a clean build a checkout
 * that once built a since-removed module (dist/cli/program-loader.js, for one) would publish it.
 */
it("the packed tarball holds only outputs of current sources", () => {
  const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as Array<{ files: Array<{ path: string }> }>;
  const compiled = pack!.files.map((f) => f.path).filter((p) => p.startsWith("dist/"));
  expect(compiled.length).toBeGreaterThan(0);
  const orphans = compiled.filter((p) => !existsSync(path.join(REPO_ROOT, p.replace(/^dist\//, "").replace(/(\.d\.ts|\.js\.map|\.js)$/, ".ts"))));
  expect(orphans).toEqual([]);
  expect(compiled).toContain("dist/cli/main.js");
  expect(compiled).toContain("dist/provider/index.d.ts");
});
