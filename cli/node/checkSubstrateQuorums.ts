import { ConfigError } from './ConfigError.js'
import type { NodeConfig } from './nodeConfigSchema.js'

/**
 * `substrate[].resultQuorum` settings that are each valid but wrong together: a threshold no worker set can
 * reach (at most the listed workers and this node's own), a key listed twice, or a quorum without peers to
 * exchange answers with.
 */
export function checkSubstrateQuorums(config: NodeConfig, where: string): void {
  for (const [index, chain] of (config.substrate ?? []).entries()) {
    const quorum = chain.resultQuorum
    if (!quorum) continue
    const field = `substrate.${index}.resultQuorum`
    const seen = new Set<string>()
    for (const [position, key] of quorum.workers.entries()) {
      if (seen.has(key.toLowerCase())) {
        throw new ConfigError(`${where}: ${field}.workers.${position} (${key}) is listed twice.`, {
          hint: 'List each worker key once: one worker is one vote.',
        })
      }
      seen.add(key.toLowerCase())
    }
    if (quorum.threshold > quorum.workers.length + 1) {
      throw new ConfigError(
        `${where}: ${field}.threshold is ${quorum.threshold}, more than ${field}.workers (${quorum.workers.length}) and this node's own worker could sign.`,
        {
          hint: `Lower ${field}.threshold or list the other nodes' sr25519 worker keys in ${field}.workers.`,
        },
      )
    }
    if (quorum.threshold > 1 && (config.quorum?.peers.length ?? 0) === 0) {
      throw new ConfigError(
        `${where}: ${field} needs peers: the top-level quorum.peers is missing or empty.`,
        {
          hint: 'Add "quorum": { "peers": ["http://other-node:8787", ...] }: nodes exchange their answers over their APIs.',
        },
      )
    }
  }
}
