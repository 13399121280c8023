#!/usr/bin/env node
// colo's entry point. The TypeScript sources are compiled to dist/ by `npm run build`,
// which `npm ci` / `npm install` run automatically (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import module from 'node:module';

module.enableCompileCache?.();
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('colo: dist/ is missing. Run `npm ci` (or `npm run build`) in the colo checkout first.\n');
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv);
