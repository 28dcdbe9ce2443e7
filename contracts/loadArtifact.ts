import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JsonFragment } from 'ethers'
import { ContractsError } from './ContractsError.js'
import { contractsPaths } from './contractsPaths.js'

/** The contracts under `contracts/src` (the compile writes one artifact for each). */
export type ContractName =
  | 'ITeefnRegistry'
  | 'TeefnRegistry'
  /** Abstract base of the registry: admin, gatekeeper quorum, measurement pins. */
  | 'TeefnGovernance'
  /** Internal library: how a quorum's answers are grouped and which is delivered. */
  | 'QuorumAggregation'
  | 'TeefnConsumer'
  /** The two request events whose names `TeefnConsumer` errors share (declared apart, emitted by consumers). */
  | 'ITeefnRequestEvents'
  | 'PriceOracle'
  /** Test-only consumer with a misbehaving hook. */
  | 'TestConsumer'
  /** Test-only attacker: emits `RequestSent` like a consumer without being a registered one. */
  | 'ForgedRequestEmitter'
  /** Gelato compat: performs a Web3 Function's verified `callData` (`src/compat/`). */
  | 'TeefnGelatoExecutor'
  /** Gelato compat: the library that reads the canonical result JSON (internal only: no deployable code). */
  | 'GelatoResultParser'
  /** Test-only: exposes `GelatoResultParser.parse`. */
  | 'GelatoResultParserHarness'
  /** Test-only Gelato target that accepts calls from its executor only. */
  | 'ExecutorOnlyCounter'
  /** The parts of a Phat offchain-rollup anchor the Phat attestor uses. */
  | 'IPhatRollupAnchor'
  /** teefn as the attestor of a Phat offchain-rollup anchor (contracts/src/compat). */
  | 'TeefnPhatAttestor'
  /** Test-only anchor written against Phala's documented `PhatRollupAnchor` interface. */
  | 'TestPhatRollupAnchor'
  /** Test-only Phat-style oracle consumer (`setAttestor`, `_pushMessage`, `_onMessageReceived`). */
  | 'TestPhatConsumer'
  /** A router that speaks Chainlink Functions' client interface (`contracts/src/compat/`). */
  | 'TeefnFunctionsRouter'
  /** The client callback the router calls (`handleOracleFulfillment`). */
  | 'IFunctionsClientCallback'
  /** Test-only Chainlink Functions consumer (`FunctionsClient` from @chainlink/contracts). */
  | 'ChainlinkStyleConsumer'
  /** Test-only wrapper of @chainlink/contracts' `FunctionsRequest.encodeCBOR`. */
  | 'FunctionsRequestEncoder'
  /** Test-only Functions client that records the gas its callback got. */
  | 'GasProbeFunctionsClient'
  | 'IRouterForProbe'

export type Artifact = {
  contractName: string
  /** Source unit, e.g. `contracts/src/examples/PriceOracle.sol`. */
  sourceName: string
  abi: JsonFragment[]
  /** Creation code; `0x` for interfaces and abstract contracts. */
  bytecode: `0x${string}`
  deployedBytecode: `0x${string}`
}

export type LoadArtifactParameters = {
  /** Package root; found from this module by default. */
  root?: string | undefined
}

const cache = new Map<string, Artifact>()

/**
 * Reads `contracts/artifacts/<name>.json`, written by `compileContracts` (`npm run build`).
 *
 * @throws ContractsError `CONTRACT_ARTIFACT_MISSING` when the build has not run.
 */
export function loadArtifact(name: ContractName, parameters: LoadArtifactParameters = {}): Artifact {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new ContractsError('Invalid contract name.', {
      code: 'CONTRACT_NAME_INVALID',
      details: `"${name}" is not a Solidity identifier.`,
      hint: 'Name a contract of contracts/src, e.g. TeefnRegistry.',
    })
  }
  const { artifactsDir } = contractsPaths(parameters.root)
  const path = join(artifactsDir, `${name}.json`)
  const cached = cache.get(path)
  if (cached) return cached
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ContractsError(`The artifact of contract ${name} is missing.`, {
      code: 'CONTRACT_ARTIFACT_MISSING',
      details: `${path} does not exist.`,
      hint: 'Run `npm run build` (or `node dist/contracts/compileContracts.js`) to compile the contracts.',
      cause,
    })
  }
  const artifact = JSON.parse(text) as Artifact
  cache.set(path, artifact)
  return artifact
}
