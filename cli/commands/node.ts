import { createLogger } from '../../runtime/logging/createLogger.js'
import { loadNodeConfig } from '../node/loadNodeConfig.js'
import { allNodeRoles, nodeRoles } from '../node/nodeConfigSchema.js'
import { startNode } from '../node/startNode.js'
import { UsageError } from '../UsageError.js'

export type NodeOptions = { config?: string; role?: string; port?: string }

/** `teefn node --config <file>`: the production entry point; stops gracefully on SIGTERM and SIGINT. */
export async function nodeAction(options: NodeOptions): Promise<void> {
  const config = await loadNodeConfig({
    file: options.config,
    overrides: { roles: parseRoles(options.role), port: parsePort(options.port) },
  })
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

/** `--role api,worker` -> ['api', 'worker']; `all` -> every role. */
export function parseRoles(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const roles = value.split(',').map((role) => role.trim().toLowerCase())
  if (roles.includes('all')) return [...nodeRoles]
  for (const role of roles) {
    if (!(allNodeRoles as readonly string[]).includes(role)) {
      throw new UsageError(
        `--role ${value}: "${role}" is not a role.`,
        `Use ${allNodeRoles.join(', ')} or all.`,
      )
    }
  }
  return [...new Set(roles)]
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port ${value} is not a port.`, 'Give an integer from 0 to 65535.')
  }
  return port
}
