import { keepWorkerAdmitted } from '../../relayer/gatekeeper/keepWorkerAdmitted.js'
import type { Hex } from '../../runtime/bytes.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import type { Logger } from '../../runtime/logging/createLogger.js'
import type { NodeConfig } from './nodeConfigSchema.js'

export type KeepAdmittedContext = { provider: TeeProvider; quote: Hex; logger: Logger }

/** The node's `admission` section: its worker asks the gatekeepers, and again before expiry. Returns the stopper. */
export function keepAdmitted(
  config: NodeConfig,
  { provider, quote, logger }: KeepAdmittedContext,
): () => Promise<void> {
  const section = config.admission!
  const chain = config.evm?.[0]
  return keepWorkerAdmitted({
    rpcUrl: section.rpcUrl ?? chain!.rpcUrl,
    registry: section.registry ?? chain!.registry,
    quoteUrl: section.quoteUrl,
    quote,
    signer: provider,
    reattestBeforeSeconds: section.reattestBeforeSeconds ?? 86_400,
    retrySeconds: section.retrySeconds ?? 600,
    pollMs: section.pollIntervalMs ?? 5_000,
    logger: logger.child({ component: 'admission' }),
  })
}
