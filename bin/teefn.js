#!/usr/bin/env node
// The published entry: the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
import '../dist/cli/main.js'
