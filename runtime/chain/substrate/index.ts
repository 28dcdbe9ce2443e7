/**
 * Substrate requests as the enclave reads them: the remark protocol, the v2 request id, and the quorum
 * reader the worker uses to re-read each request from the chain. The relayer imports its decoding from here.
 */

export { endpointHost } from '../endpointHost.js'
export {
  type CreateSubstrateChainReaderParameters,
  type CreateSubstrateChainReaderReturnType,
  createSubstrateChainReader,
  type SubstrateChainReader,
} from './createSubstrateChainReader.js'
export {
  type DecodeRemarkedEventParameters,
  type DecodeRemarkedEventReturnType,
  decodeRemarkedEvent,
  type RemarkCall,
  type RemarkedRequest,
} from './decodeRemarkedEvent.js'
export {
  type DeriveRequestIdParameters,
  deriveRequestId,
  substrateRequestIdContext,
} from './deriveRequestId.js'
export { findRemarkCalls } from './findRemarkCalls.js'
export {
  type JudgeSubstrateQuorumParameters,
  judgeSubstrateQuorum,
  type SubstrateQuorumFailureReason,
  type SubstrateQuorumVerdict,
  substrateAnswerKey,
  tallySubstrateAnswers,
} from './judgeSubstrateQuorum.js'
export {
  type DecodedRemark,
  decodeRemark,
  encodeQuorumResultRemark,
  encodeRequestRemark,
  encodeResultRemark,
  isTeefnRemark,
  maxQuorumEnvelopes,
  maxRequestPayloadBytes,
  type RequestRemark,
  type ResultRemark,
  remarkKinds,
  remarkMagic,
  remarkProtocolVersion,
} from './remarkProtocol.js'
export { SubstrateRemarkError, type SubstrateRemarkErrorCode } from './SubstrateRemarkError.js'
export type {
  SubstrateEndpointAnswer,
  SubstrateHeads,
  SubstrateRequest,
  SubstrateRequestHint,
  SubstrateRequestReading,
} from './SubstrateRequestReading.js'
