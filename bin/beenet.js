#!/usr/bin/env node
// The `beenet` command: runs the built CLI (npm run build creates dist/).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
