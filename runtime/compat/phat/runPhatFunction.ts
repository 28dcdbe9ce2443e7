import { phatSecretsKey } from './phatSecretsKey.js'
import { pinkHash } from './pinkHash.js'
import { batchHttpRequest, httpRequest } from './pinkHttp.js'
import { pinkDeriveSecret, vrf } from './pinkSecrets.js'

/** A Phat function's entry: `main(request, secrets)`, called with `scriptArgs`. */
export type PhatMain = (...scriptArgs: string[]) => unknown

/** What Phat's contract calls and codecs were: not here, and each says so when called. */
function unavailable(name: string, instead: string): () => never {
  return () => {
    throw new Error(`pink.${name} is not available in teefn: ${instead}`)
  }
}

const pink = {
  httpRequest,
  batchHttpRequest,
  deriveSecret: pinkDeriveSecret,
  hash: pinkHash,
  // Phat has it in `@phala/pink-env` only; here on `pink` too, for sources that reach for it there.
  vrf,
  invokeContract: unavailable(
    'invokeContract',
    'there are no Phat contracts; fetch or return the data instead',
  ),
  invokeContractDelegate: unavailable('invokeContractDelegate', 'there are no Phat contracts'),
  version: 'teefn-phat',
}

// Phat's runtime defines `pink` (and `Pink`) before any script runs: this module is evaluated before the source's.
for (const name of ['pink', 'Pink'])
  Object.defineProperty(globalThis, name, { value: pink, writable: true, configurable: true })

/**
 * Runs a Phat function as teefn's `main`, as Phat's build runs it (`main.apply(null, scriptArgs)`):
 * `scriptArgs` is `[request, secrets]` (the request as given, a 0x-hex string for on-chain triggers; the secrets
 * string is the teefn secret `phatSecrets`) and a global too. The result follows Phat's rules: a Uint8Array is
 * bytes, a string is itself, any other value is cast to a string; `undefined` (Phat's empty output) fails. A
 * thrown value reaches teefn as it is, so a thrown string is the error's text, as in Phat. An async `main` (Phat's
 * experimental async runtime) is awaited. Bundled into the function, so it runs in the sandbox.
 */
export async function runPhatFunction(
  request: string,
  secrets: Record<string, string>,
  main: PhatMain,
): Promise<string | Uint8Array> {
  const scriptArgs = [request, secrets[phatSecretsKey] ?? '']
  Object.defineProperty(globalThis, 'scriptArgs', { value: scriptArgs, writable: true, configurable: true })
  if (typeof main !== 'function')
    throw new Error(
      'A --compat phat module must export its entry: export default function main(request, secrets)',
    )
  const result = await main.apply(null, scriptArgs)
  if (result instanceof Uint8Array || typeof result === 'string') return result
  if (result === undefined)
    throw new Error(
      'main returned undefined, which Phat outputs as nothing; return a hex string or a Uint8Array',
    )
  return String(result)
}

export { vrf }
