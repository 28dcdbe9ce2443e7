import { createLogger } from '../../runtime/logging/createLogger.js'
import { loadNodeConfig } from '../node/loadNodeConfig.js'
import { startNode } from '../node/startNode.js'

/** `teefn node --config <file>`: the production entry point; stops gracefully on SIGTERM and SIGINT. */
export async function nodeAction(options: { config?: string }): Promise<void> {
  const config = await loadNodeConfig({ file: options.config })
  const logger = createLogger({ name: 'teefn' })
  const node = await startNode({ config, logger })
  logger.info({ server: node.serverUrl }, 'teefn node ready')
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'stopping: finishing in-flight work')
      resolve()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  await node.close()
  logger.info('teefn node stopped')
}
