import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ContractName, loadArtifact } from './artifacts.js'
import { compileContracts } from './compileContracts.js'
import { contractsPaths } from './contractsPaths.js'
import type { PriceOracleContract, TeefnConsumerContract, TeefnRegistryContract } from './contractTypes.js'

const repo = contractsPaths()
// A compile of every contract takes seconds (20 s on a loaded 2-core machine); some tests run solc twice or more.
const solcTimeout = 180_000
let root: string

beforeAll(() => {
  // A private copy of the sources, so the repo's artifacts are never rewritten by these tests.
  root = mkdtempSync(join(tmpdir(), 'teefn-contracts-'))
  writeFileSync(join(root, 'package.json'), '{"name":"teefn-contracts-test","private":true}\n')
  symlinkSync(join(repo.root, 'node_modules'), join(root, 'node_modules'))
  cpSync(repo.sourcesDir, join(root, 'contracts', 'src'), { recursive: true })
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

const src = (file: string) => join(root, 'contracts', 'src', file)
const artifact = (name: string) => join(root, 'contracts', 'artifacts', `${name}.json`)

describe('compileContracts', () => {
  it(
    'compiles every source without warnings and writes one artifact per contract',
    async () => {
      const result = await compileContracts({ root })
      expect(result.skipped).toBe(false)
      expect(result.warnings).toEqual([])
      expect(result.solcVersion).toBe('0.8.30')
      expect(result.contractNames).toEqual([
        'ChainlinkStyleConsumer',
        'ExecutorOnlyCounter',
        'ForgedRequestEmitter',
        'FunctionsRequestEncoder',
        'GasProbeFunctionsClient',
        'GelatoResultParser',
        'GelatoResultParserHarness',
        'IFunctionsClientCallback',
        'IPhatRollupAnchor',
        'IRouterForProbe',
        'ITeefnRegistry',
        'ITeefnRequestEvents',
        'PriceOracle',
        'QuorumAggregation',
        'TeefnConsumer',
        'TeefnFunctionsRouter',
        'TeefnGelatoExecutor',
        'TeefnGovernance',
        'TeefnPhatAttestor',
        'TeefnRegistry',
        'TestConsumer',
        'TestPhatConsumer',
        'TestPhatRollupAnchor',
      ])
      const oracle = JSON.parse(readFileSync(artifact('PriceOracle'), 'utf8'))
      expect(Object.keys(oracle).sort()).toEqual([
        'abi',
        'bytecode',
        'contractName',
        'deployedBytecode',
        'sourceName',
      ])
      expect(oracle.sourceName).toBe('contracts/src/examples/PriceOracle.sol')
      expect(oracle.bytecode).toMatch(/^0x(?:[0-9a-f]{2}){100,}$/)
      expect(oracle.abi.some((f: { name?: string }) => f.name === 'fulfillBatch')).toBe(true)
      expect(loadArtifact('TeefnConsumer', { root }).bytecode).toBe('0x') // abstract
      expect(loadArtifact('ITeefnRegistry', { root }).bytecode).toBe('0x')
      expect(loadArtifact('ITeefnRequestEvents', { root }).bytecode).toBe('0x')
      // A full compile of every contract: over 20 s on a busy machine.
    },
    solcTimeout,
  )

  it(
    'produces the same bytecode as the repo build (deterministic)',
    async () => {
      await compileContracts()
      for (const name of ['TeefnRegistry', 'PriceOracle'] as const) {
        expect(JSON.parse(readFileSync(artifact(name), 'utf8')).bytecode).toBe(loadArtifact(name).bytecode)
      }
    },
    solcTimeout,
  )

  it(
    'skips solc while sources and compiler are unchanged, and compiles again when they change',
    async () => {
      await compileContracts({ root })
      const again = await compileContracts({ root })
      expect(again.skipped).toBe(true)
      expect(again.contractNames).toHaveLength(23)

      writeFileSync(
        src('TeefnRegistry.sol'),
        `${readFileSync(src('TeefnRegistry.sol'), 'utf8')}\n// changed\n`,
      )
      const changed = await compileContracts({ root })
      expect(changed.skipped).toBe(false)
      expect(changed.inputHash).not.toBe(again.inputHash)

      unlinkSync(artifact('TeefnRegistry'))
      expect((await compileContracts({ root })).skipped).toBe(false)
      expect(existsSync(artifact('TeefnRegistry'))).toBe(true)
      expect((await compileContracts({ root, force: true })).skipped).toBe(false)
    },
    solcTimeout,
  )

  it(
    'fails loudly with solc messages, and leaves the last good build in place',
    async () => {
      const good = await compileContracts({ root })
      writeFileSync(src('Broken.sol'), 'pragma solidity ^0.8.24;\ncontract Broken { function f( }\n')
      const error = await compileContracts({ root }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'SOLIDITY_COMPILE_FAILED' })
      expect((error as Error).message).toMatch(/ParserError/)
      expect((error as Error).message).toContain('contracts/src/Broken.sol')
      unlinkSync(src('Broken.sol'))
      const after = await compileContracts({ root })
      expect(after.skipped).toBe(true)
      expect(after.inputHash).toBe(good.inputHash)
    },
    solcTimeout,
  )

  it(
    'reports an import it cannot resolve',
    async () => {
      writeFileSync(
        src('BadImport.sol'),
        'pragma solidity ^0.8.24;\nimport "@openzeppelin/contracts/NoSuch.sol";\n',
      )
      try {
        const error = await compileContracts({ root }).catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'SOLIDITY_COMPILE_FAILED' })
        expect((error as Error).message).toMatch(/NoSuch\.sol/)
      } finally {
        unlinkSync(src('BadImport.sol'))
      }
    },
    solcTimeout,
  )

  it(
    'refuses two contracts with one name',
    async () => {
      writeFileSync(src('Dup.sol'), 'pragma solidity ^0.8.24;\ncontract TeefnRegistry {}\n')
      try {
        await expect(compileContracts({ root })).rejects.toMatchObject({
          code: 'SOLIDITY_DUPLICATE_CONTRACT',
        })
      } finally {
        unlinkSync(src('Dup.sol'))
      }
    },
    solcTimeout,
  )

  it(
    'removes the artifact of a contract whose source is gone',
    async () => {
      const copy = readFileSync(src('test/TestConsumer.sol'), 'utf8')
      unlinkSync(src('test/TestConsumer.sol'))
      try {
        const result = await compileContracts({ root })
        expect(result.contractNames).not.toContain('TestConsumer')
        expect(existsSync(artifact('TestConsumer'))).toBe(false)
      } finally {
        writeFileSync(src('test/TestConsumer.sol'), copy)
      }
    },
    solcTimeout,
  )
})

describe('loadArtifact', () => {
  it('says how to fix missing artifacts', () => {
    const empty = mkdtempSync(join(tmpdir(), 'teefn-empty-'))
    try {
      cpSync(join(root, 'package.json'), join(empty, 'package.json'))
      expect(() => loadArtifact('PriceOracle', { root: empty })).toThrow(/npm run build/)
      expect(() => loadArtifact('PriceOracle', { root: empty })).toThrowError(
        expect.objectContaining({ code: 'CONTRACT_ARTIFACT_MISSING' }),
      )
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('refuses names that are not identifiers', () => {
    expect(() => loadArtifact('../package' as ContractName)).toThrowError(
      expect.objectContaining({ code: 'CONTRACT_NAME_INVALID' }),
    )
  })
})

describe('contractTypes', () => {
  // The typed handles are written by hand: each name must exist in the compiled ABI.
  const typed = {
    TeefnRegistry: [
      'admin',
      'codeHashOf',
      'isWorkerActive',
      'functionInfo',
      'workerInfo',
      'registerFunction',
      'upgradeFunction',
      'lockFunction',
      'transferFunctionOwnership',
      'admitWorker',
      'removeWorker',
      'registerConsumer',
      'deregisterConsumer',
      'isConsumer',
      'transferAdmin',
      'policyOf',
      'fulfillmentPolicyOf',
      'setResultPolicy',
      'MAX_THRESHOLD',
      'admitWorkerByQuorum',
      'removeWorkerByQuorum',
      'hashAdmission',
      'hashRemoval',
      'workerNonce',
      'workerMeasurement',
      'renounceAdmin',
      'setGatekeepers',
      'setMeasurementPinned',
      'setGatekeepersByQuorum',
      'setMeasurementPinnedByQuorum',
      'hashGatekeeperChange',
      'hashMeasurementPin',
      'gatekeepers',
      'gatekeeperThreshold',
      'governanceNonce',
      'isGatekeeper',
      'isMeasurementPinned',
      'registryDomainSeparator',
    ] satisfies (keyof TeefnRegistryContract)[],
    TeefnConsumer: [
      'registry',
      'hookGasLimit',
      'requestTimeout',
      'requestCount',
      'FULFILLMENT_TYPEHASH',
      'MAX_HOOK_REASON_BYTES',
      'fulfill',
      'fulfillBatch',
      'cancelRequest',
      'isPending',
      'requestInfo',
      'computeRequestId',
      'hashFulfillment',
      'domainSeparator',
      'fulfillQuorum',
      'fulfillQuorumBatch',
      'minQuorum',
      'effectiveThreshold',
      'MAX_QUORUM_ANSWERS',
    ] satisfies (keyof TeefnConsumerContract)[],
    PriceOracle: [
      'owner',
      'functionId',
      'latestPrice',
      'latestUpdatedAt',
      'latestRequestId',
      'latest',
      'requestPrice',
      'fulfill',
    ] satisfies (keyof PriceOracleContract)[],
  } as const

  it(
    'gives every consumer the request events declared apart from its errors of the same name',
    async () => {
      await compileContracts()
      for (const contract of ['TeefnConsumer', 'PriceOracle', 'TestConsumer'] as const) {
        const abi = loadArtifact(contract).abi
        const named = (type: string) => abi.filter((f) => f.type === type).map((f) => f.name)
        for (const name of ['RequestExpired', 'RequestCancelled']) {
          expect(named('event'), `${contract} event ${name}`).toContain(name)
          expect(named('error'), `${contract} error ${name}`).toContain(name)
        }
      }
    },
    solcTimeout,
  )

  it(
    'names only functions the ABI has',
    async () => {
      await compileContracts()
      for (const [contract, names] of Object.entries(typed)) {
        const abiNames = loadArtifact(contract as ContractName).abi.map((fragment) => fragment.name)
        for (const name of names) expect(abiNames, `${contract}.${name}`).toContain(name)
      }
    },
    solcTimeout,
  )
})
