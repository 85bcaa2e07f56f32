#!/usr/bin/env node
// Plain-node entry: the TypeScript is compiled to dist/ by `npm install` (the prepare script).
import { main } from '../dist/src/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 70;
  },
);
