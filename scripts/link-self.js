// Makes this repo resolvable as `pulumi-posthog-warehouse` from its own node_modules, exactly as it is for a user
// who installed the package: the serialized provider loads its implementation by that name at run time.
const fs = require("node:fs");
const path = require("node:path");
const link = path.join(__dirname, "..", "node_modules", "pulumi-posthog-warehouse");
try {
  fs.lstatSync(link);
} catch {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync("..", link, "dir");
}
