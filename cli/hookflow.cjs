#!/usr/bin/env node
// `npx hookflow ...`: runs the TypeScript CLI through tsx (installed with the project's dev dependencies).
require('tsx/cjs');
require('./main.ts').main();
