// Empties dist/ before `tsc` writes it: tsc never deletes the output of a source that was removed or renamed, and
// `npm pack` ships whatever dist/provider and dist/cli hold (test/package-contents.test.ts). Every build compiles
// everything anyway (no incremental state), so nothing is lost.
const fs = require("node:fs");
const path = require("node:path");

fs.rmSync(path.join(__dirname, "..", "dist"), { recursive: true, force: true });
