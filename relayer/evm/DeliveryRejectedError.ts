import { BaseError } from '../../runtime/errors/BaseError.js'
import type { EnvelopeRejection } from './consumerRejection.js'

const hints: Record<EnvelopeRejection, string> = {
  UnknownRequest:
    'The consumer never issued this request id (another chain or contract, or a reorg dropped it).',
  AlreadyFulfilled: 'Nothing to do: the request was answered already.',
  FunctionMismatch: 'The envelope answers another function than the request asked for.',
  CodeHashMismatch:
    'The registry names other code for the function now (an upgrade after the worker ran): the request needs a new run with the new code.',
  InvalidSignature:
    'The signature is malformed (not 65 bytes, or high-s); the envelope did not come from a teefn worker.',
  WorkerNotActive:
    'The signer is not an admitted worker: it was removed or expired, or the envelope was signed by another key. Admit the worker (teefn attest) or check where the envelope came from.',
  PayloadMismatch:
    'The envelope answers another payload than the request asked (a forged or altered job): nothing can make the consumer accept it.',
  RequestExpired:
    'The request passed its deadline unanswered; its requester may cancel it. Nothing to deliver.',
  RequestCancelled: 'The requester cancelled the request after its deadline. Nothing to deliver.',
  QuorumRequired:
    "The function's result policy (or the consumer's minQuorum) needs k > 1 workers to agree: a single envelope is refused; submit k workers' answers with fulfillQuorum.",
  DuplicateSigner: 'Two answers of the quorum were signed by the same worker; each worker counts once.',
  SignersNotAscending: "A quorum's answers must be ordered by strictly increasing signer address.",
  QuorumNotReached:
    'Fewer than k answers agree (or two results tie for the most): nothing is delivered; the request stays pending until its deadline.',
  InvalidAnswerCount: 'A quorum envelope carries between 1 and 32 answers.',
}

/**
 * The consumer refused an envelope on-chain (the custom error of `fulfill`, or `FulfillmentRejected` in a
 * batch). Final: a retry would be refused the same way, so the delivery fails at once and stays inspectable.
 */
export class DeliveryRejectedError extends BaseError {
  override name = 'DeliveryRejectedError'
  readonly reason: EnvelopeRejection
  readonly requestId: string
  readonly transactionHash: string | undefined

  constructor({
    reason,
    requestId,
    destination,
    transactionHash,
  }: {
    reason: EnvelopeRejection
    requestId: string
    destination: string
    transactionHash?: string | undefined
  }) {
    super(`The consumer rejected the envelope: ${reason}.`, {
      code: 'DELIVERY_REJECTED',
      details: `Request ${requestId} on consumer ${destination}${transactionHash ? `, transaction ${transactionHash}` : ' (refused by the gas estimate; nothing was sent)'}.`,
      hint: hints[reason],
    })
    this.reason = reason
    this.requestId = requestId
    this.transactionHash = transactionHash
  }
}
