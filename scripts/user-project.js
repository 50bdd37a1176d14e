// Installs this package the way an npm user gets it: `npm pack` of the build, then `npm install` of that tarball
// into a project folder beside @pulumi/pulumi (and TypeScript, as `pulumi new typescript` sets up). The end-to-end
// tests, the demo and the bench link each Pulumi project's node_modules to such an install.
//
//   node scripts/user-project.js [<@pulumi/pulumi version>]   (default: the version this repo is built with)
//
// Prints the install folder as its last stdout line. Reused while the packed tarball is byte-identical (npm pack
// output is reproducible), so only a changed build reinstalls. Run after `npm run build`.
const { execFileSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const installed = (name) => JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
const sdk = process.argv[2] || installed("@pulumi/pulumi");
const work = path.join(root, ".pulumi-work");
const log = (message) => process.stderr.write(`[user-project] ${message}\n`);
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

// Test files run in parallel processes and may all find the install stale at once: one installs, the others wait.
const lock = path.join(work, "user-project.lock");
fs.mkdirSync(work, { recursive: true });
const waitUntil = Date.now() + 600_000;
for (;;) {
  try {
    fs.mkdirSync(lock);
    break;
  } catch (err) {
    if (err.code !== "EEXIST" || Date.now() > waitUntil) throw err;
    execFileSync("sleep", ["0.2"]);
  }
}
try {
  install();
} finally {
  fs.rmSync(lock, { recursive: true, force: true });
}

function install() {
  const packDir = path.join(work, "pack");
  fs.mkdirSync(packDir, { recursive: true });
  const file = JSON.parse(npm(["pack", "--json", "--pack-destination", packDir], root))[0].filename;
  const tarball = path.join(packDir, file);
  const digest = createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");

  const dir = path.join(work, "user-project", `pulumi-${sdk}`);
  const stamp = path.join(dir, ".installed");
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === `${digest}\n`) {
    log(`reusing ${path.relative(root, dir)} (${file} unchanged)`);
    // The stamp's time says which build it matches (test/harness/engine-env.ts compares it with dist/).
    const now = new Date();
    fs.utimesSync(stamp, now, now);
  } else {
    const started = Date.now();
    log(`installing ${file} with @pulumi/pulumi ${sdk} into ${path.relative(root, dir)}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const manifest = {
      name: "phw-user-project",
      private: true,
      dependencies: { "@pulumi/pulumi": sdk, "pulumi-posthog-warehouse": `file:${tarball}` },
      devDependencies: { typescript: installed("typescript"), "@types/node": installed("@types/node") },
    };
    fs.writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir);
    fs.writeFileSync(stamp, `${digest}\n`);
    log(`installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  process.stdout.write(`${dir}\n`);
}
