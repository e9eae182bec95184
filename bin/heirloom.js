#!/usr/bin/env node
// The `heirloom` command (src/cli/main.ts). In a clone, the TypeScript runs
// through tsx, so the command is always the source's (a dist/ left by an
// earlier build could be stale); in the image, which has dist/ and neither
// src/ nor tsx, the compiled JavaScript runs.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/main.ts', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href)
}
