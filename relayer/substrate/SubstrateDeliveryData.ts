import type { Envelope } from '../../runtime/enclave/envelope.js'
import type { DeliveryJobData } from '../../runtime/queue/jobs.js'

/**
 * What the Substrate submitter sends: a delivery job's data, and for a quorum (`createSubstrateQuorumDelivery`)
 * the envelopes gathered, agreeing ones first, that go out together in one quorum result remark.
 */
export type SubstrateDeliveryData = DeliveryJobData & {
  quorum?: { envelopes: readonly Envelope[] } | undefined
}
