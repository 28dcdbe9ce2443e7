import { readFileSync } from 'node:fs'
import { startGatekeeper } from '../../relayer/gatekeeper/startGatekeeper.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import { resolveSecret } from './loadNodeConfig.js'
import type { NodeConfig } from './nodeConfigSchema.js'
import type { Closers } from './startNode.js'

export type StartGatekeeperRoleContext = { env: NodeJS.ProcessEnv; logger: Logger; closers: Closers }

/** The `gatekeeper` role from `config.gatekeeper` (the chain of `evm[0]` unless named); returns its API URL. */
export async function startGatekeeperRole(
  config: NodeConfig,
  { env, logger, closers }: StartGatekeeperRoleContext,
): Promise<string> {
  const section = config.gatekeeper!
  const chain = config.evm?.[0]
  const running = await startGatekeeper({
    rpcUrl: section.rpcUrl ?? chain!.rpcUrl,
    registry: section.registry ?? chain!.registry,
    key: resolveSecret(section.key, env),
    policy: {
      tcbStatuses: section.tcbStatus ?? ['UpToDate'],
      allowDev: section.allowDev ?? false,
      collateral: section.collateralFile ? readFileSync(section.collateralFile, 'utf8') : undefined,
    },
    peers: section.peers ?? [],
    host: section.host ?? '127.0.0.1',
    port: section.port ?? 0,
    confirmations: section.confirmations ?? chain?.confirmations ?? 0,
    admissionSeconds: section.admissionSeconds ?? 7 * 86_400,
    deadlineSeconds: section.deadlineSeconds ?? 3_600,
    recheckMs: (section.recheckSeconds ?? 600) * 1000,
    removeAfterFailures: section.removeAfterFailures ?? 3,
    failoverMs: (section.failoverSeconds ?? 10) * 1000,
    pollMs: section.pollIntervalMs ?? 1_000,
    fromBlock: section.fromBlock,
    logger: logger.child({ component: 'gatekeeper' }),
  })
  closers.push(() => running.close())
  return running.url
}
