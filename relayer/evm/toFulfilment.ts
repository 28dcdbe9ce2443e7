import { UnrecoverableError } from 'bullmq'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'
import { statusCode } from '../../runtime/resultStatus.js'
import type { Fulfilment } from './Fulfilment.js'

/**
 * The calldata form of a delivery's envelope. A delivery for another chain or family, or with a status the
 * consumer has no code for, is refused for good (`UnrecoverableError`): no retry would change it.
 */
export function toFulfilment({ envelope }: DeliveryJobData, chainId: bigint): Fulfilment {
  const status = statusCode(envelope.status)
  if (envelope.family !== 'evm' || envelope.chainId !== chainId.toString() || status < 0) {
    throw new UnrecoverableError(
      `The delivery is not an envelope for EVM chain ${chainId} (family ${envelope.family}, chain ${envelope.chainId}, status ${envelope.status}).`,
    )
  }
  const { requestId, functionId, payloadHash, codeHash, result, signature } = envelope
  return { requestId, envelope: { requestId, functionId, payloadHash, codeHash, status, result, signature } }
}
