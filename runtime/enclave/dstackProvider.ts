import { existsSync } from 'node:fs'
import { inspect } from 'node:util'
import { DstackClient } from '@phala/dstack-sdk'
import { functionKeyPath } from './functionKeyPath.js'
import type { FunctionScope } from './functionScope.js'
import { KeyringProvider } from './KeyringProvider.js'
import { assertReportData } from './reportData.js'
import type { TeeInfo, TeeProvider, TeeQuote } from './TeeProvider.js'
import { TeeProviderError } from './TeeProviderError.js'
import { WorkerKeyring } from './workerKeyring.js'

/** Where the dstack guest agent listens inside a CVM, in the order `@phala/dstack-sdk` looks. */
export const dstackSocketPaths = [
  '/var/run/dstack.sock',
  '/run/dstack.sock',
  '/var/run/dstack/dstack.sock',
  '/run/dstack/dstack.sock',
] as const

/** `getKey` path of the worker's root key; every worker key is derived from it with HKDF. */
export const dstackWorkerKeyPath = 'teefn/worker/v1'
const workerKeyPurpose = 'teefn-worker-root'
const functionKeyPurpose = 'teefn-function-key'
/** Function keys are cached so an invocation does not pay a guest-agent round trip; bounded. */
const functionKeyCacheSize = 4096

export type ResolveDstackEndpointParameters = {
  env?: NodeJS.ProcessEnv
  socketPaths?: readonly string[]
}

/** The guest agent's endpoint: `DSTACK_SIMULATOR_ENDPOINT`, else the first dstack socket present, else undefined. */
export function resolveDstackEndpoint({
  env = process.env,
  socketPaths = dstackSocketPaths,
}: ResolveDstackEndpointParameters = {}): string | undefined {
  if (env.DSTACK_SIMULATOR_ENDPOINT) return env.DSTACK_SIMULATOR_ENDPOINT
  return socketPaths.find((path) => existsSync(path))
}

export type CreateDstackProviderParameters = {
  /** A unix socket path or an `http(s)://` URL of the guest agent (simulator). Defaults to `resolveDstackEndpoint()`. */
  endpoint?: string
}

/**
 * The dstack TEE provider: worker keys from the guest agent's `getKey` (the same on every worker of the app
 * and across restarts), TDX quotes from `getQuote`, platform facts from `info()`.
 */
export async function createDstackProvider({
  endpoint = resolveDstackEndpoint(),
}: CreateDstackProviderParameters = {}): Promise<TeeProvider> {
  if (!endpoint) {
    throw new TeeProviderError('No dstack guest agent found.', {
      code: 'TEE_UNAVAILABLE',
      details: `none of ${dstackSocketPaths.join(', ')} exists and DSTACK_SIMULATOR_ENDPOINT is not set`,
      hint: 'Run the worker in a dstack CVM with the socket mounted, or set DSTACK_SIMULATOR_ENDPOINT.',
    })
  }
  let client: DstackClient
  try {
    // Always pass the endpoint: without one the SDK logs the simulator URL to the console.
    client = new DstackClient(endpoint)
  } catch (error) {
    throw agentError(endpoint, 'connect to', error)
  }
  const [info, rootResponse] = await Promise.all([
    call(endpoint, 'Info', () => client.info()),
    call(endpoint, 'GetKey', () => client.getKey(dstackWorkerKeyPath, workerKeyPurpose)),
  ])
  const keyring = await WorkerKeyring.fromRoot(checkKey(endpoint, rootResponse.key))
  rootResponse.key.fill(0)
  return new DstackTeeProvider(endpoint, client, keyring, {
    kind: 'dstack',
    appId: String(info.app_id ?? ''),
    instanceId: String(info.instance_id ?? ''),
    composeHash: typeof info.compose_hash === 'string' ? info.compose_hash : undefined,
    tcb: pickRegisters(info.tcb_info),
  })
}

class DstackTeeProvider extends KeyringProvider {
  readonly kind = 'dstack' as const
  readonly info: TeeInfo
  readonly #endpoint: string
  readonly #client: DstackClient
  readonly #functionKeys = new Map<string, Uint8Array>()

  constructor(endpoint: string, client: DstackClient, keyring: WorkerKeyring, info: TeeInfo) {
    super(keyring)
    this.#endpoint = endpoint
    this.#client = client
    this.info = Object.freeze(info)
  }

  async quote(reportData: Uint8Array): Promise<TeeQuote> {
    assertReportData(reportData)
    // Bytes, not a string: the SDK would UTF-8-encode a string instead of hex-decoding it.
    const response = await call(this.#endpoint, 'GetQuote', () =>
      this.#client.getQuote(Buffer.from(reportData)),
    )
    const quoteHex = typeof response.quote === 'string' ? response.quote.replace(/^0x/, '') : ''
    if (quoteHex.length === 0 || !/^(?:[0-9a-fA-F]{2})+$/.test(quoteHex)) {
      throw new TeeProviderError('The dstack guest agent returned no quote.', {
        code: 'TEE_AGENT_ERROR',
        details: `${this.#endpoint}: GetQuote answered without a hex quote`,
      })
    }
    return {
      kind: 'dstack',
      quote: new Uint8Array(Buffer.from(quoteHex, 'hex')),
      reportData: reportData.slice(),
      ...(typeof response.event_log === 'string' ? { eventLog: response.event_log } : {}),
    }
  }

  async deriveFunctionKey(scope: FunctionScope): Promise<Uint8Array> {
    const path = functionKeyPath(scope)
    let key = this.#functionKeys.get(path)
    if (!key) {
      const response = await call(this.#endpoint, 'GetKey', () =>
        this.#client.getKey(path, functionKeyPurpose),
      )
      key = checkKey(this.#endpoint, response.key)
      if (this.#functionKeys.size >= functionKeyCacheSize) {
        this.#functionKeys.delete(this.#functionKeys.keys().next().value as string)
      }
      this.#functionKeys.set(path, key)
    }
    return key.slice()
  }

  override [inspect.custom](): string {
    return `DstackTeeProvider ${inspect({ ...this.toJSON(), endpoint: this.#endpoint }, { depth: 3 })}`
  }
}

async function call<T>(endpoint: string, method: string, run: () => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await run()
  } catch (error) {
    throw agentError(endpoint, method, error)
  }
  if (result && typeof result === 'object' && 'error' in result) {
    throw agentError(endpoint, method, String((result as { error: unknown }).error))
  }
  return result
}

function agentError(endpoint: string, method: string, error: unknown): TeeProviderError {
  // SDK errors carry transport facts only (refused, timed out, unparsable); never key material.
  const reason = error instanceof Error ? error.message : String(error)
  return new TeeProviderError('The dstack guest agent failed.', {
    code: 'TEE_AGENT_ERROR',
    details: `${method} at ${endpoint}: ${reason.slice(0, 300)}`,
    hint: 'Check that the dstack guest agent runs and that this process may use its socket.',
  })
}

function checkKey(endpoint: string, key: unknown): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new TeeProviderError('The dstack guest agent returned a key of the wrong size.', {
      code: 'TEE_AGENT_ERROR',
      details: `GetKey at ${endpoint}: ${key instanceof Uint8Array ? `${key.length} bytes` : 'no key'}, expected 32`,
    })
  }
  return key.slice()
}

function pickRegisters(tcbInfo: unknown): Extract<TeeInfo, { kind: 'dstack' }>['tcb'] {
  const tcb: Extract<TeeInfo, { kind: 'dstack' }>['tcb'] = {}
  if (!tcbInfo || typeof tcbInfo !== 'object') return tcb
  for (const name of ['mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3'] as const) {
    const value = (tcbInfo as Record<string, unknown>)[name]
    if (typeof value === 'string') tcb[name] = value
  }
  return tcb
}
