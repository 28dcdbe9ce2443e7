import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'

/** `teefn demo` (`npm run demo`): a request on a local chain answered by a TEE worker, end to end. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Run the whole loop locally: anvil, Redis, a worker and the relayer answer a PriceOracle request.',
    )
    .action(lazyAction(async () => (await import('../commands/demo.js')).demoAction))
}
