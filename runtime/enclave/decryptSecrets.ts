import { type Hex, hexToBytes } from '../bytes.js'
import type { FunctionScope } from './functionScope.js'
import { SecretsError } from './SecretsError.js'
import { parseSecretsPlaintext } from './secretsCipher.js'
import type { TeeProvider } from './TeeProvider.js'

export type DecryptSecretsParameters = {
  provider: Pick<TeeProvider, 'decrypt'>
  /** What `teefn secrets encrypt` printed: 0x-hex, or its bytes. */
  ciphertext: Hex | Uint8Array
  /** The scope the ciphertext must be bound to: the one the worker runs the function under. */
  scope: FunctionScope
}

/**
 * Opens a function's secrets inside the worker, only to hand them to `main(request, secrets)`. Errors say
 * what failed and never contain a secret or a decrypted byte; the caller must not log the returned object.
 */
export async function decryptSecrets({
  provider,
  ciphertext,
  scope,
}: DecryptSecretsParameters): Promise<Record<string, string>> {
  const bytes = typeof ciphertext === 'string' ? hexToBytes(ciphertext) : ciphertext
  if (!bytes) {
    throw new SecretsError('Secrets ciphertext is not 0x-prefixed hex.', {
      code: 'SECRETS_INVALID',
      hint: 'Store the output of `teefn secrets encrypt` unchanged.',
    })
  }
  const plaintext = await provider.decrypt(bytes, scope)
  try {
    return parseSecretsPlaintext(plaintext)
  } finally {
    plaintext.fill(0)
  }
}
