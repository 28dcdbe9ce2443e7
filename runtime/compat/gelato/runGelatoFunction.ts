import { createGelatoStorage, storageChanged, storageSize } from './createGelatoStorage.js'
import { createMultiChainProvider } from './createMultiChainProvider.js'
import { createRpcClient } from './createRpcClient.js'
import { normalizeGelatoResult } from './normalizeGelatoResult.js'
import { parseGelatoRequest } from './parseGelatoRequest.js'
import { resolveGelatoArgs } from './resolveGelatoArgs.js'

/** The sandbox's side outputs (`compatOutputPart.ts`): what the run reports beside its result. */
declare const teefnCompatOutput: (name: string, value: unknown) => void

/** A function's `Web3Function.onRun` handler. */
export type GelatoRunHandler = (context: unknown) => unknown

export type RunGelatoFunctionParameters = {
  request: string
  secrets: Record<string, string>
  /** The handler the source registered, if it did. */
  onRun: GelatoRunHandler | undefined
}

/**
 * Runs a Gelato Web3 Function as teefn's `main`: builds its `context` from the request (`parseGelatoRequest`),
 * calls `onRun`, and applies Gelato's rules: a handler that throws fails the run (`Name: message`), a result
 * without `canExec` fails with the runner's message, a run that went over its RPC calls fails even if the
 * function caught the refusal (Gelato ends it), and storage it changed to over its limit fails the run. The result
 * is the normalised JSON text; the storage after a successful run (`canExec` true or false) is the side output
 * `storage`, which `teefn run --storage` and the worker write back; after a failed run it is left as it was. A failure over a mode
 * limit names it in the side output `limit`. Bundled into the function, so it runs in the sandbox.
 */
export async function runGelatoFunction({
  request,
  secrets,
  onRun,
}: RunGelatoFunctionParameters): Promise<string> {
  if (typeof onRun !== 'function')
    throw new Error(
      'Web3Function.onRun function is not registered. Make sure you registered your onRun function correctly in your script.',
    )
  const parsed = parseGelatoRequest(request)
  const { limits } = parsed
  const client = createRpcClient({ limit: limits.rpcCalls })
  const gelatoArgs = await resolveGelatoArgs(parsed)
  const { storage, snapshot } = createGelatoStorage(parsed.storage)
  const context = {
    gelatoArgs,
    multiChainProvider: createMultiChainProvider({
      chainId: gelatoArgs.chainId,
      rpcUrl: parsed.rpcUrl,
      rpcUrls: parsed.rpcUrls,
      client,
    }),
    userArgs: parsed.userArgs,
    secrets: Object.freeze({ get: async (key: string) => secrets[key] }),
    storage,
    ...(parsed.log === undefined ? {} : { log: parsed.log }),
  }
  let result: unknown
  try {
    result = await onRun(context)
  } catch (error) {
    if (client.limitHit()) rpcLimitHit()
    if (error instanceof Error) throw error
    throw new Error(`Web3Function threw a ${typeof error}, not an Error: ${describeThrown(error)}`)
  }
  if (client.limitHit()) rpcLimitHit()
  const text = normalizeGelatoResult(result)
  const after = snapshot()
  const size = storageSize(after)
  // Gelato's runner measures the storage only when the run changed it ("updated").
  if (size > limits.storageBytes && storageChanged(parsed.storage, after)) {
    teefnCompatOutput('limit', 'storageBytes')
    throw new Error(
      `Web3Function storage exceeds limit: ${size} bytes, the limit is ${limits.storageBytes} bytes (Storage usage exceeds limit). Store less; nothing was written back.`,
    )
  }
  teefnCompatOutput('storage', after)
  return text
}

function rpcLimitHit(): never {
  teefnCompatOutput('limit', 'rpcCalls')
  throw new Error('Web3Function exited with code=250 (RPC requests limit exceeded)')
}

function describeThrown(value: unknown): string {
  try {
    return String(JSON.stringify(value) ?? value).slice(0, 200)
  } catch {
    return String(value).slice(0, 200)
  }
}
