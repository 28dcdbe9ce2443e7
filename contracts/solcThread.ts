import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { resolveSolidityImport } from './resolveSolidityImport.js'

// The thread `compileInThread` starts: one compile, its output posted back.
const { root, input } = workerData as { root: string; input: string }
const require = createRequire(join(root, 'package.json'))
const solc = require('solc') as { compile: (input: string, callbacks: object) => string }
parentPort?.postMessage(
  solc.compile(input, { import: (path: string) => resolveSolidityImport(path, require) }),
)
