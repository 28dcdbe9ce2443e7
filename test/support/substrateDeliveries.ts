import type { Hex } from '../../runtime/bytes.js'
import { signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'

export type SubstrateDeliveryOfParameters = {
  /** The worker that signs (a dev provider in tests). */
  provider: TeeProvider
  genesisHash: Hex
  requestId: Hex
  /** What the worker answered; `ok` by default. */
  result?: string | undefined
}

/** What a worker queues for a remark request on `genesisHash`: a signed substrate envelope and its request. */
export async function substrateDeliveryOf({
  provider,
  genesisHash,
  requestId,
  result = 'ok',
}: SubstrateDeliveryOfParameters): Promise<DeliveryJobData> {
  const common = {
    chainId: genesisHash,
    destination: `0x${'d4'.repeat(32)}` as Hex,
    requestId,
    functionId: `0x${'e1'.repeat(32)}` as Hex,
  }
  const envelope = await signEnvelope(provider, {
    family: 'substrate',
    ...common,
    payloadHash: `0x${'9a'.repeat(32)}`,
    codeHash: `0x${'0c'.repeat(32)}`,
    status: 'OK',
    result: new TextEncoder().encode(result),
  })
  return {
    request: {
      trigger: 'substrate',
      ...common,
      request: '0x',
      seenAt: Date.now(),
      origin: { blockHash: `0x${'b0'.repeat(32)}`, index: 1 },
    },
    envelope,
    signedAt: Date.now(),
  }
}
