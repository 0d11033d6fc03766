#!/usr/bin/env node
// `npx hookflow ...`. In this repository it runs the TypeScript CLI through tsx (a dev dependency), so it is
// always the code checked in; in the published package, which ships no .ts, the compiled dist/cli/main.js.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (existsSync(join(__dirname, 'main.ts'))) {
  require('tsx/cjs');
  require('./main.ts').main();
} else {
  require(join(__dirname, '..', 'dist', 'cli', 'main.js')).main();
}
