import type { SharedBuiltins } from './captureBuiltins.js'

/** `deriveSecret(path)`: 32 bytes only this function can obtain, derived on the host. */
export default function deriveSecretPart(shared: SharedBuiltins) {
  const { host, NativeTypeError, NativeUint8Array } = shared
  const hostDeriveSecret = host.deriveSecret
  return {
    deriveSecret: function deriveSecret(path: unknown): Uint8Array {
      if (typeof path !== 'string' || path.length === 0 || path.length > 256) {
        throw new NativeTypeError('deriveSecret: path must be a non-empty string of at most 256 characters')
      }
      return new NativeUint8Array(hostDeriveSecret(path))
    },
  }
}
