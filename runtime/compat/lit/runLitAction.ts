import { requestText } from '../requestText.js'
import { createLitActions, type LitActionState } from './createLitActions.js'
import { litResponseText } from './litResponseText.js'

/** A Lit Action as `teefn build --compat lit` hands it over. */
export type LitActionSource = {
  /** The action's code string (Lit's `litActionCode`, or the script file itself). */
  code?: unknown
  /** The 2026 style's entry, when a module exports it. */
  main?: unknown
  /** ethers v5, bundled only when the source names `ethers`. */
  ethers?: unknown
}

type Main = (jsParams: Record<string, unknown>) => unknown

/**
 * Runs a Lit Action as teefn's `main`. The request is `jsParams` as JSON (text, or its UTF-8 bytes in 0x-hex, or
 * empty). Its entries become globals, with `jsParams`, `Lit`, `LitActions` and `ethers`; the code string runs as a
 * script (indirect eval), and the promise it ends with (`(async () => {...})()`) is awaited. A script that
 * declares `async function main(jsParams)` and starts nothing is the 2026 style: `main` is called. The result is
 * the `setResponse` string, or `main`'s return value as JSON text. Bundled into the function.
 */
export async function runLitAction(request: string, source: LitActionSource): Promise<string> {
  // Captured first: a jsParams entry may be named like any global. Evaluating the action's code string is the
  // mode itself: Lit runs that string as a script, in a sandbox as teefn's is.
  // biome-ignore lint/security/noGlobalEval: a Lit Action is a code string to run
  const evaluate = globalThis.eval
  const jsParams = parseJsParams(request)
  const state: LitActionState = { response: undefined, signatures: {} }
  const actions = createLitActions(state)
  const auth = Object.freeze({
    actionIpfsIdStack: [],
    authSigAddress: null,
    authMethodContexts: [],
    resources: [],
    customAuthResource: '',
  })
  const globals: Record<string, unknown> = {
    ...jsParams,
    jsParams,
    Lit: Object.freeze({ Actions: actions, Auth: auth }),
    LitActions: actions,
    LitAuth: auth,
  }
  if (source.ethers !== undefined) globals.ethers = source.ethers
  for (const [name, value] of Object.entries(globals))
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true })

  try {
    let main = typeof source.main === 'function' ? (source.main as Main) : undefined
    if (source.code !== undefined) {
      if (typeof source.code !== 'string') throw new Error('litActionCode must be a string of JavaScript')
      const completion = evaluate(source.code)
      if (isThenable(completion)) await completion
      else main ??= declaredMain(evaluate)
    } else if (!main) {
      throw new Error('A --compat lit module must export litActionCode (a string) or main (a function)')
    }
    if (!main) return state.response ?? ''
    const returned = await main(jsParams)
    if (returned === undefined && state.response !== undefined) return state.response
    return litResponseText(returned, "main's return value")
  } catch (error) {
    if (error instanceof Error) throw error
    throw new Error(`Uncaught (in promise) ${describe(error)}`)
  }
}

/** A top-level `function main` of the script (a global once evaluated), or a `const main` (a global lexical). */
function declaredMain(evaluate: typeof eval): Main | undefined {
  const found = evaluate('typeof main === "function" ? main : undefined')
  return typeof found === 'function' ? (found as Main) : undefined
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function parseJsParams(request: string): Record<string, unknown> {
  if (request === '') return {}
  const text = requestText(request)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error('A --compat lit request must be jsParams as a JSON object, e.g. {"sigName":"sig1"}')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('jsParams must be a JSON object')
  return value as Record<string, unknown>
}
