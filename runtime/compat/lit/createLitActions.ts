import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { deriveLitKey } from './deriveLitKey.js'
import { uint8arrayFromString, uint8arrayToString } from './litEncoding.js'
import { litResponseText } from './litResponseText.js'
import { type LitSignature, signLitEcdsa } from './signLitEcdsa.js'

/** What an action set: its response and its signatures by name. */
export type LitActionState = { response: string | undefined; signatures: Record<string, LitSignature> }

type SignParameters = { toSign?: unknown; publicKey?: unknown; sigName?: unknown }

/** What needs Lit's network (its threshold keys, its chain list, its PKP registry): each fails naming itself. */
const networkOnly: Record<string, string> = {
  decryptAndCombine: 'threshold decryption by the Lit network',
  decryptToSingleNode: 'threshold decryption by the Lit network',
  encrypt: "BLS encryption to the Lit network's key",
  Encrypt: "encryption with a PKP's Lit-held key",
  Decrypt: "decryption with a PKP's Lit-held key",
  aesDecrypt: 'a symmetric key from threshold decryption',
  checkConditions: "Lit's access control condition engine",
  isPermittedAction: "Lit's PKP permissions contract",
  isPermittedAddress: "Lit's PKP permissions contract",
  isPermittedAuthMethod: "Lit's PKP permissions contract",
  getPermittedActions: "Lit's PKP permissions contract",
  getPermittedAddresses: "Lit's PKP permissions contract",
  getPermittedAuthMethods: "Lit's PKP permissions contract",
  getPermittedAuthMethodScopes: "Lit's PKP permissions contract",
  pubkeyToTokenId: "Lit's PKP registry",
  claimKey: "Lit's key claiming",
  getRpcUrl: "Lit's chain list (pass the RPC URL in jsParams and use ethers.providers.JsonRpcProvider)",
  getLatestNonce: "Lit's chain list",
  broadcastAndCollect: 'several Lit nodes',
  call: 'other Lit Actions by IPFS id',
  callContract: "Lit's chain list",
  signAsAction: "an action's IPFS CID identity",
  getLitActionPublicKey: "another action's IPFS CID identity",
  getLitActionWalletAddress: "another action's IPFS CID identity",
  signAndCombineEcdsa: 'combining signature shares across Lit nodes (use signEcdsa)',
  signAndCombine: 'combining signature shares across Lit nodes (use signEcdsa)',
}

/**
 * `Lit.Actions` (and `LitActions`) for one run: `setResponse`, `signEcdsa`, `ethPersonalSignMessageEcdsa`,
 * `getPrivateKey`, `getLitActionPrivateKey`, `runOnce`, the data helpers, and an error naming what Lit's network
 * would have to do for the rest. Signatures are reported with `teefnCompatOutput('signatures', ...)`.
 */
export function createLitActions(state: LitActionState): Record<string, unknown> {
  const actions: Record<string, unknown> = {
    setResponse({ response }: { response?: unknown } = {}) {
      state.response = litResponseText(response, 'setResponse: the response')
    },
    async signEcdsa({ toSign, publicKey, sigName }: SignParameters = {}) {
      record(state, sigName, publicKey, bytesOf(toSign))
      return 'success'
    },
    async ethPersonalSignMessageEcdsa({
      message,
      publicKey,
      sigName,
    }: SignParameters & { message?: unknown }) {
      const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : bytesOf(message)
      const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${bytes.length}`)
      const prefixed = new Uint8Array(prefix.length + bytes.length)
      prefixed.set(prefix)
      prefixed.set(bytes, prefix.length)
      record(state, sigName, publicKey, keccak_256(prefixed))
      return 'success'
    },
    async getPrivateKey({ pkpId }: { pkpId?: unknown } = {}) {
      if (typeof pkpId !== 'string') throw new Error('getPrivateKey: pkpId must be a string')
      return `0x${bytesToHex(deriveLitKey({ pkp: pkpId }))}`
    },
    async getLitActionPrivateKey() {
      return `0x${bytesToHex(deriveLitKey('action'))}`
    },
    // One node runs the action, so it is always the leader: the function just runs.
    async runOnce(options: { waitForResponse?: boolean; name?: string } = {}, fn?: () => unknown) {
      if (typeof fn !== 'function') throw new TypeError('runOnce: the second argument must be a function')
      const result = await fn()
      return options?.waitForResponse === false ? undefined : result
    },
    uint8arrayToString,
    uint8arrayFromString,
  }
  for (const [name, needs] of Object.entries(networkOnly)) {
    actions[name] = () => {
      throw new Error(
        `Lit.Actions.${name} needs ${needs}, which teefn's lit mode cannot honour: teefn runs the action on one enclave, not on Lit's network. Keep that step on Lit, or rewrite it with teefn's secrets and deriveSecret.`,
      )
    }
  }
  return Object.freeze(actions)
}

function record(state: LitActionState, sigName: unknown, publicKey: unknown, digest: Uint8Array): void {
  if (typeof sigName !== 'string' || sigName === '')
    throw new Error('signEcdsa: sigName must be a non-empty string')
  if (typeof publicKey !== 'string')
    throw new Error("signEcdsa: publicKey must be the PKP's public key, a string")
  state.signatures[sigName] = signLitEcdsa(deriveLitKey({ pkp: publicKey }), digest)
  const output = (globalThis as { teefnCompatOutput?: (name: string, value: unknown) => void })
    .teefnCompatOutput
  output?.('signatures', state.signatures)
}

/** `toSign` as Lit takes it: a Uint8Array or an array of byte values. */
function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (Array.isArray(value) && value.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255))
    return Uint8Array.from(value)
  throw new Error('signEcdsa: toSign must be a Uint8Array (or an array of bytes) of 32 bytes')
}
