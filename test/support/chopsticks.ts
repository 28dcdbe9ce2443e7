import { WsProvider } from '@polkadot/api'
import type { Hex } from '../../runtime/bytes.js'

/** A dev account's starting balance: plenty for fees (planck; the chain has 12 decimals). */
export const defaultFunding = 1_000_000_000_000_000_000n

export type StartChopsticksParameters = {
  /** Addresses (SS58) given `free` balance with `dev_setStorage` before the chain is handed out. */
  fund?: readonly string[] | undefined
  free?: bigint | undefined
  /** `Instant` (default): a block per submitted extrinsic. `Batch` and `Manual` as in chopsticks. */
  buildBlockMode?: 'Instant' | 'Batch' | 'Manual' | undefined
  /** chopsticks' own log level (`LOG_LEVEL`), `error` by default; read once per process, at first start. */
  logLevel?: string | undefined
}

/** Where a block's build started and ended (ms, `performance.now()`), as measured in-process. */
export type BlockBuildTiming = { number: number; hash: Hex; startedAt: number; endedAt: number }

/** One run of the runtime's transaction validation (every submitted extrinsic is validated first). */
export type ValidationTiming = { startedAt: number; endedAt: number }

export type ChopsticksChain = {
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string
  port: number
  genesisHash: Hex
  /** Gives accounts `free` balance (`dev_setStorage` on System.Account). */
  fund(addresses: readonly string[], free?: bigint): Promise<void>
  /** Raw JSON-RPC call on a private connection, e.g. `rpc('dev_newBlock', [{}])`. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>
  /**
   * Runtime timings since `start`, recorded in-process around chopsticks' block builder and its transaction
   * validation: how long the runtime itself took (call `start` once; benchmarks use it).
   */
  runtimeTimings: {
    start(): void
    blocks(): BlockBuildTiming[]
    validations(): ValidationTiming[]
    /** Extrinsics the block builder dropped since `start` (apply errors, e.g. `{"invalid":{"future":null}}`). */
    applyErrors(): string[]
  }
  /** Closes the server, the chain and chopsticks' wasm worker (or the process stays alive). Idempotent. */
  close(): Promise<void>
}

type ChainInternals = {
  txPool: {
    buildBlockWithParams: (...args: unknown[]) => Promise<unknown>
    event: { on(name: string, listener: (value: [string, { toString(): string }]) => void): void }
  }
  onNewBlock: (block: { number: number; hash: string }) => Promise<unknown>
  validateExtrinsic: (...args: unknown[]) => Promise<unknown>
}

/**
 * Starts chopsticks in-process from the raw genesis of `rococo_v2_2_asset_hub` (the only spec in
 * `@substrate/connect-known-chains` with runtime code: statemine 900, with Utility, no Contracts) on
 * 127.0.0.1 and a free port, with no database (in memory). ~280 MB RSS: start one per test file.
 */
export async function startChopsticks({
  fund = [],
  free = defaultFunding,
  buildBlockMode = 'Instant',
  logLevel = 'error',
}: StartChopsticksParameters = {}): Promise<ChopsticksChain> {
  // chopsticks reads LOG_LEVEL when its logger module loads: set it before the first import.
  process.env.LOG_LEVEL ??= logLevel
  const [{ setupWithServer }, { destroyWorker }, { chainSpec }] = await Promise.all([
    import('@acala-network/chopsticks'),
    import('@acala-network/chopsticks-core'),
    import('@substrate/connect-known-chains/rococo_v2_2_asset_hub'),
  ])
  const context = await setupWithServer({
    genesis: JSON.parse(chainSpec),
    port: 0,
    host: '127.0.0.1',
    'build-block-mode': buildBlockMode,
    'runtime-log-level': 0,
  } as Parameters<typeof setupWithServer>[0])
  const port = Number(context.addr.split(':').pop())
  const wsUrl = `ws://127.0.0.1:${port}`
  const provider = new WsProvider(wsUrl, false)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await provider.disconnect().catch(() => {})
    await context.close()
    await destroyWorker()
  }
  try {
    await provider.connect()
    await provider.isReady
    const rpc = <T>(method: string, params: unknown[] = []) => provider.send<T>(method, params)
    const fundAccounts = async (addresses: readonly string[], amount = free) => {
      if (addresses.length === 0) return
      await rpc('dev_setStorage', [
        {
          System: {
            Account: addresses.map((address) => [
              [address],
              { providers: 1, data: { free: amount.toString() } },
            ]),
          },
        },
      ])
    }
    await fundAccounts(fund)
    const genesisHash = await rpc<Hex>('chain_getBlockHash', [0])
    return {
      wsUrl,
      port,
      genesisHash,
      fund: fundAccounts,
      rpc,
      runtimeTimings: runtimeTimingsOf(context.chain as unknown as ChainInternals),
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * Wraps the block builder: a build starts when the pool asks for it, or when the previous build ends
 * (builds are sequential), and ends when the block becomes the head. Validation is timed around the call.
 */
function runtimeTimingsOf(chain: ChainInternals): ChopsticksChain['runtimeTimings'] {
  const timings: BlockBuildTiming[] = []
  const validations: ValidationTiming[] = []
  const applyErrors: string[] = []
  const requested: number[] = []
  let lastEnd = 0
  let started = false
  return {
    start() {
      if (started) return
      started = true
      // Every build (Instant, Batch's debounced one, dev_newBlock) goes through buildBlockWithParams.
      const buildBlockWithParams = chain.txPool.buildBlockWithParams.bind(chain.txPool)
      chain.txPool.buildBlockWithParams = (...args) => {
        requested.push(performance.now())
        return buildBlockWithParams(...args)
      }
      const onNewBlock = chain.onNewBlock.bind(chain)
      chain.onNewBlock = async (block) => {
        const endedAt = performance.now()
        const asked = requested.shift() ?? endedAt
        timings.push({
          number: block.number,
          hash: block.hash as Hex,
          startedAt: Math.max(asked, lastEnd),
          endedAt,
        })
        lastEnd = endedAt
        return onNewBlock(block)
      }
      chain.txPool.event.on('TxPool::ApplyExtrinsicError', ([, error]) => applyErrors.push(error.toString()))
      const validateExtrinsic = chain.validateExtrinsic.bind(chain)
      chain.validateExtrinsic = async (...args) => {
        const startedAt = performance.now()
        try {
          return await validateExtrinsic(...args)
        } finally {
          validations.push({ startedAt, endedAt: performance.now() })
        }
      }
    },
    blocks: () => [...timings],
    validations: () => [...validations],
    applyErrors: () => [...applyErrors],
  }
}
