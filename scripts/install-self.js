// Installs the built package into this repo's node_modules as a real copy of exactly the files it publishes, the way
// a user's `npm install` lays it out. Tests, the demo and bench load it from there, so they exercise the package as
// shipped, and Pulumi's serializer sees it under node_modules (see provider/resource/program-side.ts).
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const target = path.join(root, "node_modules", pkg.name);
fs.rmSync(target, { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
for (const entry of ["package.json", ...pkg.files]) {
  const from = path.join(root, entry);
  if (fs.existsSync(from)) fs.cpSync(from, path.join(target, entry), { recursive: true, dereference: true });
}
const bin = path.join(root, "node_modules", ".bin");
fs.mkdirSync(bin, { recursive: true });
for (const [name, file] of Object.entries(pkg.bin ?? {})) {
  fs.rmSync(path.join(bin, name), { force: true });
  fs.symlinkSync(path.relative(bin, path.join(target, file)), path.join(bin, name));
}
