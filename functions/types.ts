/**
 * Types for function authors: `export default (async function main(request, secrets, context) {...}) satisfies Main`.
 * A function runs in QuickJS with web APIs only: fetch, console, TextEncoder/TextDecoder,
 * crypto.getRandomValues/randomUUID, atob/btoa, setTimeout/clearTimeout, and deriveSecret.
 */
import type { InvocationContext, Trigger } from '../runtime/sandbox/types.js'

export type { Trigger }

/** Where the request came from; `chainId`, `sender` and `functionId` are set for on-chain triggers. */
export type FunctionContext = Readonly<InvocationContext>

/** Decrypted secrets of the function's owner; empty when there are none. */
export type Secrets = Readonly<Record<string, string>>

/** A string (0x-hex is delivered as bytes, any other string as UTF-8) or raw bytes. */
export type FunctionResult = string | Uint8Array

export type Main = (
  request: string,
  secrets: Secrets,
  context: FunctionContext,
) => FunctionResult | Promise<FunctionResult>

declare global {
  /**
   * 32 bytes that only this function can obtain: deterministic for (functionId, path), different for every
   * other function, derived inside the enclave. A function can hold its own wallet or encryption key with it.
   */
  function deriveSecret(path: string): Uint8Array

  /** teefn's fetch takes one option the web's does not. */
  interface RequestInit {
    /**
     * Names of request headers that may follow a redirect to another origin; by default only CORS-safelisted
     * ones do, so credentials stay with the origin the function chose.
     */
    crossOriginHeaders?: readonly string[]
  }
}
