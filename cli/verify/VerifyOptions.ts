import type { TrustOptions } from '../attestation/trustOptions.js'

/** The flags of `teefn verify`, for a file and for `--substrate`. */
export type VerifyOptions = TrustOptions & {
  attestation?: string
  substrate?: string
  block?: string
  extrinsic?: string
  worker?: string
  chainId?: string
  destination?: string
  requestId?: string
  functionId?: string
  payloadHash?: string
  codeHash?: string
  json?: boolean
}
