import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { join, posix, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Artifact } from './artifacts.js'
import { ContractsError } from './ContractsError.js'
import { compileInThread } from './compileInThread.js'
import { contractsPaths } from './contractsPaths.js'

export type CompileContractsParameters = {
  /** Package root; found from this module by default. */
  root?: string | undefined
  /** Compile even when the sources and compiler match the stored artifacts. */
  force?: boolean | undefined
}

export type CompileContractsReturnType = {
  artifactsDir: string
  /** Every contract, interface and abstract contract defined under `contracts/src`. */
  contractNames: string[]
  /** True when the artifacts were already up to date and solc was not run. */
  skipped: boolean
  /** solc's formatted warnings (empty when skipped). */
  warnings: string[]
  solcVersion: string
  /** sha256 over compiler version, settings and sources; stored in `artifacts/.buildinfo.json`. */
  inputHash: string
}

type BuildInfo = { format: number; inputHash: string; solcVersion: string; contractNames: string[] }

type SolcOutput = {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string; message: string }[]
  contracts?: Record<
    string,
    Record<
      string,
      { abi: Artifact['abi']; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >
}

const FORMAT = 1
const BUILD_INFO = '.buildinfo.json'
// Pinned so artifacts are the same on every machine; cancun runs on anvil and on current L1/L2s.
export const solcSettings = { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun' } as const
const SETTINGS = solcSettings
const OUTPUTS = ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object']

/**
 * Compiles every `.sol` under `contracts/src` with the pinned npm `solc` and writes
 * `contracts/artifacts/<Name>.json` (`{ contractName, sourceName, abi, bytecode, deployedBytecode }`).
 * Skips solc (≈1.5 s to load) when the stored hash of compiler, settings and sources still matches.
 * `@openzeppelin/...` (and other package) imports resolve from node_modules.
 *
 * @throws ContractsError `SOLIDITY_COMPILE_FAILED` with solc's messages.
 */
export async function compileContracts(
  parameters: CompileContractsParameters = {},
): Promise<CompileContractsReturnType> {
  const { root, sourcesDir, artifactsDir } = contractsPaths(parameters.root)
  const require = createRequire(join(root, 'package.json'))
  const solcVersion = (require('solc/package.json') as { version: string }).version

  const sources = readSources(root, sourcesDir)
  const inputHash = hashInput(solcVersion, sources, require)

  const previous = readBuildInfo(artifactsDir)
  if (
    !parameters.force &&
    previous?.format === FORMAT &&
    previous.inputHash === inputHash &&
    previous.contractNames.every((name) => existsSync(join(artifactsDir, `${name}.json`)))
  ) {
    return {
      artifactsDir,
      contractNames: previous.contractNames,
      skipped: true,
      warnings: [],
      solcVersion,
      inputHash,
    }
  }

  const input = {
    language: 'Solidity',
    sources: Object.fromEntries([...sources].map(([name, content]) => [name, { content }])),
    settings: {
      ...SETTINGS,
      outputSelection: Object.fromEntries([...sources.keys()].map((name) => [name, { '*': OUTPUTS }])),
    },
  }
  const output = JSON.parse(await compileInThread(root, JSON.stringify(input))) as SolcOutput

  const messages = output.errors ?? []
  const errors = messages.filter((m) => m.severity === 'error').map((m) => m.formattedMessage.trim())
  const warnings = messages.filter((m) => m.severity === 'warning').map((m) => m.formattedMessage.trim())
  if (errors.length > 0) {
    throw new ContractsError(`Solidity compilation failed with ${errors.length} error(s).`, {
      code: 'SOLIDITY_COMPILE_FAILED',
      details: `solc ${solcVersion}:\n${errors.join('\n\n')}`,
      hint: 'Fix the sources under contracts/src and build again.',
    })
  }

  const artifacts = collectArtifacts(output, sources)
  mkdirSync(artifactsDir, { recursive: true })
  for (const artifact of artifacts) {
    writeAtomic(join(artifactsDir, `${artifact.contractName}.json`), `${JSON.stringify(artifact, null, 2)}\n`)
  }
  const contractNames = artifacts.map((a) => a.contractName).sort()
  // Artifacts of contracts that no longer exist would otherwise load silently.
  for (const file of readdirSync(artifactsDir)) {
    if (file.endsWith('.json') && !file.startsWith('.') && !contractNames.includes(file.slice(0, -5))) {
      rmSync(join(artifactsDir, file), { force: true })
    }
  }
  const buildInfo: BuildInfo = { format: FORMAT, inputHash, solcVersion, contractNames }
  // Written last: a crash before this point leaves no record, so the next run compiles again.
  writeAtomic(join(artifactsDir, BUILD_INFO), `${JSON.stringify(buildInfo, null, 2)}\n`)
  return { artifactsDir, contractNames, skipped: false, warnings, solcVersion, inputHash }
}

/** Source unit name (`contracts/src/X.sol`, posix) -> content, sorted by name. */
function readSources(root: string, sourcesDir: string): Map<string, string> {
  if (!existsSync(sourcesDir)) {
    throw new ContractsError('No Solidity sources found.', {
      code: 'SOLIDITY_SOURCES_MISSING',
      details: `${sourcesDir} does not exist.`,
      hint: 'Run from a teefn checkout, or pass the package root.',
    })
  }
  const files = (readdirSync(sourcesDir, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.sol'))
    .map((file) => join(sourcesDir, file))
    .sort()
  return new Map(
    files.map((file) => [relative(root, file).split(sep).join(posix.sep), readFileSync(file, 'utf8')]),
  )
}

function hashInput(solcVersion: string, sources: Map<string, string>, require: NodeRequire): string {
  const hash = createHash('sha256')
  // Imported libraries change only with their package version.
  const ozVersion = (require('@openzeppelin/contracts/package.json') as { version: string }).version
  const chainlinkVersion = packageVersion('@chainlink/contracts', require)
  hash.update(
    JSON.stringify({
      format: FORMAT,
      solcVersion,
      settings: SETTINGS,
      outputs: OUTPUTS,
      ozVersion,
      chainlinkVersion,
    }),
  )
  for (const [name, content] of sources) hash.update(`\0${name}\0${content}`)
  return hash.digest('hex')
}

/** An optional package's version (the test consumers' @chainlink/contracts is a dev dependency). */
function packageVersion(name: string, require: NodeRequire): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version
  } catch {
    return undefined
  }
}

function readBuildInfo(artifactsDir: string): BuildInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(artifactsDir, BUILD_INFO), 'utf8')) as BuildInfo
  } catch {
    return undefined
  }
}

function collectArtifacts(output: SolcOutput, sources: Map<string, string>): Artifact[] {
  const artifacts: Artifact[] = []
  const seen = new Map<string, string>()
  for (const sourceName of sources.keys()) {
    for (const [contractName, contract] of Object.entries(output.contracts?.[sourceName] ?? {})) {
      const other = seen.get(contractName)
      if (other !== undefined) {
        throw new ContractsError(`Two contracts are named ${contractName}.`, {
          code: 'SOLIDITY_DUPLICATE_CONTRACT',
          details: `${other} and ${sourceName} both define ${contractName}; artifacts are keyed by name.`,
          hint: 'Rename one of them.',
        })
      }
      seen.set(contractName, sourceName)
      artifacts.push({
        contractName,
        sourceName,
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
      })
    }
  }
  return artifacts
}

/** Readers in other processes (parallel test forks) never see a half-written file. */
function writeAtomic(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(temporary, content)
  renameSync(temporary, path)
}

function isMain(): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) {
  compileContracts({ force: process.argv.includes('--force') }).then(
    (result) => {
      for (const warning of result.warnings) console.warn(warning)
      const what = result.skipped
        ? 'up to date'
        : `compiled ${result.contractNames.length} contracts with solc ${result.solcVersion}`
      process.stdout.write(`contracts: ${what} -> ${relative(process.cwd(), result.artifactsDir) || '.'}\n`)
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    },
  )
}
