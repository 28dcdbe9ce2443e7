import { createDevProvider } from './devProvider.js'
import { createDstackProvider, dstackSocketPaths, resolveDstackEndpoint } from './dstackProvider.js'
import type { TeeKind, TeeProvider } from './TeeProvider.js'
import { TeeProviderError } from './TeeProviderError.js'

/** Where the dev provider keeps its sealed key file unless told otherwise (`.teefn/` is git-ignored). */
export const defaultDevKeyFile = '.teefn/dev-worker-key.json'

export type SelectProviderParameters = {
  /** Force a provider; defaults to `TEEFN_TEE_PROVIDER`, else automatic (dstack when present). */
  provider?: TeeKind
  /** Allow falling back to the dev provider when no TEE is present; defaults to `TEEFN_ALLOW_DEV_TEE=1`. */
  allowDev?: boolean
  /** Dev sealed key file; defaults to `TEEFN_DEV_KEY_FILE`, else `defaultDevKeyFile`. */
  devKeyFile?: string
  /** Dev seal passphrase; defaults to `TEEFN_DEV_SEAL_PASSPHRASE`, else the documented dev constant. */
  devPassphrase?: string
  /** Guest agent endpoint; defaults to `DSTACK_SIMULATOR_ENDPOINT`, else the first dstack socket present. */
  dstackEndpoint?: string
  /** Sockets to look for (tests point this at a temporary socket). */
  dstackSocketPaths?: readonly string[]
  env?: NodeJS.ProcessEnv
}

/**
 * Picks the worker's TEE provider: dstack when its socket or `DSTACK_SIMULATOR_ENDPOINT` is present; dev only
 * when chosen explicitly (`provider: 'dev'`, `allowDev`, or the env vars above). A production worker never
 * falls back to dev silently: without a TEE and without that choice it throws `TEE_UNAVAILABLE`.
 */
export async function selectProvider(parameters: SelectProviderParameters = {}): Promise<TeeProvider> {
  const env = parameters.env ?? process.env
  const forced = parameters.provider ?? parseKind(env.TEEFN_TEE_PROVIDER)
  const endpoint =
    parameters.dstackEndpoint ??
    resolveDstackEndpoint({ env, socketPaths: parameters.dstackSocketPaths ?? dstackSocketPaths })
  const allowDev = parameters.allowDev ?? env.TEEFN_ALLOW_DEV_TEE === '1'
  const dev = () =>
    createDevProvider({
      keyFile: parameters.devKeyFile ?? env.TEEFN_DEV_KEY_FILE ?? defaultDevKeyFile,
      ...(parameters.devPassphrase !== undefined || env.TEEFN_DEV_SEAL_PASSPHRASE
        ? { passphrase: parameters.devPassphrase ?? env.TEEFN_DEV_SEAL_PASSPHRASE }
        : {}),
    })

  if (forced === 'dev') return dev()
  if (endpoint) return createDstackProvider({ endpoint })
  if (forced === 'dstack') {
    throw new TeeProviderError('The dstack provider was requested but no guest agent was found.', {
      code: 'TEE_UNAVAILABLE',
      details: `none of ${(parameters.dstackSocketPaths ?? dstackSocketPaths).join(', ')} exists and DSTACK_SIMULATOR_ENDPOINT is not set`,
      hint: 'Mount the dstack socket into the container, or set DSTACK_SIMULATOR_ENDPOINT for a simulator.',
    })
  }
  if (allowDev) return dev()
  throw new TeeProviderError('No TEE found, and the dev provider was not allowed.', {
    code: 'TEE_UNAVAILABLE',
    details: `none of ${(parameters.dstackSocketPaths ?? dstackSocketPaths).join(', ')} exists and DSTACK_SIMULATOR_ENDPOINT is not set`,
    hint: 'Run in a dstack CVM, or for development set TEEFN_TEE_PROVIDER=dev (or TEEFN_ALLOW_DEV_TEE=1): dev attestations are refused by production verifiers.',
  })
}

function parseKind(value: string | undefined): TeeKind | undefined {
  if (value === undefined || value === '') return undefined
  if (value === 'dstack' || value === 'dev') return value
  throw new TeeProviderError('TEEFN_TEE_PROVIDER has an unknown value.', {
    code: 'TEE_UNAVAILABLE',
    details: `got ${JSON.stringify(value.slice(0, 40))}`,
    hint: 'Use "dstack" or "dev", or leave it unset to detect dstack.',
  })
}
