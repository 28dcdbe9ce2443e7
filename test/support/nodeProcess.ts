/**
 * A teefn node in its own process, for tests and benchmarks that kill it or measure it apart: `node --import tsx
 * test/support/nodeProcess.ts '<json { config, roles }>'` (see `startNodeProcess`). It runs the production
 * composition (`startNode`) from sources, prints `ready` once started, and SIGTERM closes it gracefully.
 */
import type { NodeConfig, NodeRole } from '../../cli/node/nodeConfigSchema.js'
import { startNode } from '../../cli/node/startNode.js'
import { createLogger } from '../../runtime/logging/createLogger.js'

export type NodeProcessInput = { config: NodeConfig; roles?: NodeRole[] | undefined }

const { config, roles } = JSON.parse(process.argv[2] ?? '{}') as NodeProcessInput
const logger = createLogger({ name: 'teefn-node-process', level: process.env.TEEFN_LOG_LEVEL ?? 'silent' })
const node = await startNode({ config, roles, logger })
await node.worker?.waitUntilReady()
process.stdout.write('ready\n')

process.once('SIGTERM', async () => {
  await node.close()
  process.exit(0)
})
