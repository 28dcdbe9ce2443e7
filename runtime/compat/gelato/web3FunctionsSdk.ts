import { type GelatoRunHandler, runGelatoFunction } from './runGelatoFunction.js'

/**
 * What `import { Web3Function } from '@gelatonetwork/web3-functions-sdk'` gives a `--compat gelato` function
 * (`cli/build/gelatoEntryPlugin.ts` resolves the import here, installed or not). The source registers its
 * handler with `Web3Function.onRun`; this module's default export, which the build makes the function's, runs it.
 * `onSuccess` and `onFail` run after Gelato executed (or failed to execute) the callData; teefn's executor does
 * not call back, so they are accepted and never called, and the run says so in its logs.
 */
let onRunHandler: GelatoRunHandler | undefined

// Deno, where Gelato ran functions, has `self`, and ethers v5 finds the global object through it (not through
// `globalThis`). The build imports this module first, so it is there before the function's own imports run.
if (!('self' in globalThis))
  Object.defineProperty(globalThis, 'self', { value: globalThis, writable: true, configurable: true })
const neverCalled: string[] = []

// biome-ignore lint/complexity/noStaticOnlyClass: Gelato's SDK is a class with static methods (Web3Function.onRun)
export class Web3Function {
  static onRun(handler: GelatoRunHandler): void {
    onRunHandler = handler
  }

  static onSuccess(_handler: unknown): void {
    neverCalled.push('onSuccess')
  }

  static onFail(_handler: unknown): void {
    neverCalled.push('onFail')
  }

  /** Gelato's debug logging of the SDK's own calls; teefn logs only what the function logs. */
  static setDebug(_debug: boolean): void {}
}

/** The function's `main`: runs the registered `onRun` handler with the request's context. */
export default function main(request: string, secrets: Record<string, string>): Promise<string> {
  for (const name of new Set(neverCalled))
    console.warn(
      `Web3Function.${name} is registered, but teefn never calls it: its executor does not call back`,
    )
  return runGelatoFunction({ request, secrets, onRun: onRunHandler })
}
