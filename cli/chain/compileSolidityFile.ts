import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import type { Artifact } from '../../contracts/artifacts.js'
import { ContractsError } from '../../contracts/ContractsError.js'
import { solcSettings } from '../../contracts/compileContracts.js'
import { packageRoot } from '../packageRoot.js'
import { UsageError } from '../UsageError.js'

export type CompileSolidityFileParameters = {
  /** The `.sol` file, absolute or relative to the working directory. */
  file: string
  /** The contract to take from it; by default the one named like the file (`PriceConsumer.sol` → `PriceConsumer`). */
  contractName?: string | undefined
}

type SolcMessage = {
  severity: 'error' | 'warning' | 'info'
  type: string
  message: string
  formattedMessage: string
  sourceLocation?: { file: string; start: number; end: number }
}

type SolcOutput = {
  errors?: SolcMessage[]
  contracts?: Record<
    string,
    Record<
      string,
      { abi: Artifact['abi']; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >
}

/**
 * Compiles one Solidity file of a project with teefn's pinned solc and the settings of teefn's own contracts,
 * and returns one contract's artifact. Imports resolve as a project's README says: `teefn/...` from the teefn
 * package this CLI belongs to, relative imports within the project (the folder of its nearest package.json),
 * other packages (`@openzeppelin/...`) from the project's node_modules, then teefn's.
 *
 * @throws UsageError when the file is missing (exit 2); ContractsError `SOLIDITY_COMPILE_FAILED` with
 * `file:line:column: message` for each of solc's errors, or when the file holds no such contract.
 */
export function compileSolidityFile({ file, contractName }: CompileSolidityFileParameters): Artifact {
  const path = resolve(file)
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(`cannot read the Solidity file ${file} (ENOENT)`)
  }
  const project = projectRoot(dirname(path))
  const teefn = packageRoot()
  const sourceName = relative(project, path).split(sep).join('/')
  const name = contractName ?? basename(path, '.sol')
  const fromProject = createRequire(join(project, 'package.json'))
  const fromTeefn = createRequire(join(teefn, 'package.json'))
  const read = new Map<string, string>([[sourceName, readFileSync(path, 'utf8')]])

  const findImport = (importPath: string): { contents: string } | { error: string } => {
    // Each candidate with the folder it must stay inside (`teefn/../..` leaves nothing).
    const candidates: [string, string | undefined][] = importPath.startsWith('teefn/')
      ? [[join(teefn, importPath.slice('teefn/'.length)), teefn]]
      : [
          [join(project, importPath), project],
          ...packageCandidates(importPath, [fromProject, fromTeefn]).map((found): [string, undefined] => [
            found,
            undefined,
          ]),
        ]
    for (const [candidate, root] of candidates) {
      if (root !== undefined && !isInside(candidate, root)) continue
      if (existsSync(candidate) && statSync(candidate).isFile()) {
        const contents = readFileSync(candidate, 'utf8')
        read.set(importPath, contents)
        return { contents }
      }
    }
    return { error: `File not found: ${importPath} (looked in the project, its node_modules and teefn's)` }
  }

  const require = createRequire(import.meta.url)
  // Loaded only here: loading solc-js (wasm) takes about a second and a half.
  const solc = require('solc') as { compile: (input: string, callbacks: object) => string; version(): string }
  const input = {
    language: 'Solidity',
    sources: { [sourceName]: { content: read.get(sourceName) } },
    settings: {
      ...solcSettings,
      outputSelection: {
        [sourceName]: { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput
  const errors = (output.errors ?? []).filter((message) => message.severity === 'error')
  if (errors.length > 0) {
    const lines = errors.map((error) => locate(error, read))
    throw new ContractsError(lines[0]!, {
      code: 'SOLIDITY_COMPILE_FAILED',
      details:
        errors.length > 1
          ? `solc ${solc.version()}, ${errors.length} errors:\n${lines.join('\n')}`
          : undefined,
      hint: `Fix ${sourceName} and run the command again.`,
    })
  }
  const contracts = output.contracts?.[sourceName] ?? {}
  const contract = contracts[name]
  if (contract === undefined) {
    throw new ContractsError(`${sourceName} defines no contract named ${name}.`, {
      code: 'SOLIDITY_COMPILE_FAILED',
      details: `It defines: ${Object.keys(contracts).join(', ') || 'nothing'}.`,
      hint: 'Name the contract with --contract-name, or name the file after it.',
    })
  }
  return {
    contractName: name,
    sourceName,
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
  }
}

/** The folder of the nearest package.json above `dir`, else `dir` itself. */
function projectRoot(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at
    if (dirname(at) === at) return dir
  }
}

/** Where a package import (`@scope/name/...` or `name/...`) may live, first resolver first. */
function packageCandidates(importPath: string, resolvers: NodeRequire[]): string[] {
  if (!/^@?[\w.-]+\//.test(importPath) || importPath.includes('..')) return []
  const found: string[] = []
  for (const resolver of resolvers) {
    try {
      found.push(resolver.resolve(importPath))
    } catch {
      // Not in this node_modules (or not exported): the next one may have it.
    }
  }
  return found
}

function isInside(candidate: string, root: string): boolean {
  const rel = relative(root, candidate)
  return !rel.startsWith('..') && !rel.startsWith(sep)
}

/** `file:line:column: Type: message`, from solc's byte offset into the source it read. */
function locate(error: SolcMessage, read: Map<string, string>): string {
  const location = error.sourceLocation
  if (location === undefined) return `${error.type}: ${error.message}`
  const text = read.get(location.file)
  if (text === undefined || location.start < 0) return `${location.file}: ${error.type}: ${error.message}`
  const before = Buffer.from(text, 'utf8').subarray(0, location.start).toString('utf8')
  const line = before.split('\n').length
  const column = before.length - before.lastIndexOf('\n')
  return `${location.file}:${line}:${column}: ${error.type}: ${error.message}`
}
