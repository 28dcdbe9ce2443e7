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
      'server.port: the API, or /healthz and /metrics of a process without the api role',
    )
    .action(lazyAction(async () => (await import('../commands/node.js')).nodeAction))
}
