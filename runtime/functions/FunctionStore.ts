type Hex = `0x${string}`

/** A bundle as stored: content-addressed by its codeHash. */
export type StoredFunction = {
  codeHash: Hex
  code: string
  /** The uploader (an EVM address) when known. */
  owner?: string | undefined
  uploadedAt: number
}

/**
 * Where bundles and encrypted secrets live. Redis by default (`createRedisFunctionStore`); anything that can
 * keep bytes by key can implement it.
 */
export interface FunctionStore {
  /** Stores a bundle under the keccak256 of its bytes; storing the same bundle again changes nothing. */
  putFunction(
    code: string,
    meta?: { owner?: string | undefined },
  ): Promise<{ codeHash: Hex; created: boolean }>
  getFunction(codeHash: Hex): Promise<StoredFunction | undefined>
  /** Secrets ciphertext (from `teefn secrets encrypt`) for a functionId; replaces any earlier one. */
  putSecrets(functionId: Hex, ciphertext: Hex): Promise<void>
  getSecrets(functionId: Hex): Promise<Hex | undefined>
}
