import type { TrustOptions } from '../attestation/trustOptions.js'

/** The flags of `teefn verify`, for a file and for `--substrate`. */
export type VerifyOptions = TrustOptions & {
  attestation?: string
  substrate?: string
  block?: string
  extrinsic?: string
  /** The one worker key (an envelope file); see `normalizeWorkerOption`. */
  worker?: string
  /** Every `--worker` given (`--substrate`: the allowed signers of a quorum result). */
  workers?: string[]
  /** `--substrate`: how many distinct workers must agree (a string as commander gives it). */
  quorum?: string
  chainId?: string
  destination?: string
  requestId?: string
  functionId?: string
  payloadHash?: string
  codeHash?: string
  json?: boolean
}
