import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn node --config <file>`: the production entry point; stops gracefully on SIGTERM and SIGINT. */
export function nodeCommand(): Command {
  return new Command('node')
    .description('Start the HTTP API, the TEE worker and the chain relayers from one configuration file.')
    .option('-c, --config <file>', 'JSON configuration (see the README); REDIS_URL overrides redisUrl')
    .option(
      '--role <roles>',
      "what this process runs: api, worker, relayer, or all; several comma-separated (default: the config's roles, else all)",
    )
    .option(
      '--port <port>',
      "this process's port: the API's (server.port), or that of /healthz and /metrics without the api role (ops.port)",
    )
    .action(lazyAction(async () => (await import('../commands/node.js')).nodeAction))
}
