/**
 * The limits Gelato counts itself, which teefn's sandbox does not: RPC calls and storage. Gelato's free plan allows
 * 5 RPC calls per run (`eth_chainId` and `net_version` are not limited) and 1024 KB of storage. teefn carries the
 * storage back beside the result in at most 256 KiB of side outputs (`teefnCompatOutput`), so the mode keeps
 * 255 KiB: a mode never gives more than teefn can. A request may ask for other values (`limits` in the request),
 * the RPC calls up to the sandbox's fetch limit (each is a fetch), the storage up to this default.
 */
export type GelatoLimits = {
  /** JSON-RPC calls per run, over every chain. */
  rpcCalls: number
  /** UTF-8 bytes of the storage as JSON after the run. */
  storageBytes: number
}

export const gelatoDefaultLimits: GelatoLimits = Object.freeze({
  rpcCalls: 5,
  storageBytes: 255 * 1024,
})

/** The RPC methods Gelato's proxy counts but never refuses. */
export const unlimitedRpcMethods: readonly string[] = ['eth_chainId', 'net_version']
