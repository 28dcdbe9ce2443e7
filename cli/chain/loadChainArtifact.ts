import { isAbsolute, resolve } from 'node:path'
import type { Artifact, ContractName } from '../../contracts/loadArtifact.js'
import { loadArtifact } from '../../contracts/loadArtifact.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

/**
 * A deployable artifact for `teefn chain deploy-consumer`: a contract name is read from teefn's
 * `contracts/artifacts/<name>.json` (PriceOracle, and whatever else `npm run build` compiled there); a path to a
 * `.json` file holding `abi` and `bytecode` (a solc or Hardhat artifact of your own consumer) is read as is; a
 * `.sol` file is compiled with solc (`compileSolidityFile`), taking `contractName` or the contract named like it.
 */
export async function loadChainArtifact(contract: string, contractName?: string): Promise<Artifact> {
  if (contract.endsWith('.sol')) {
    // solc is loaded only for a source file.
    const { compileSolidityFile } = await import('./compileSolidityFile.js')
    return compileSolidityFile({ file: contract, contractName })
  }
  if (!contract.endsWith('.json') && !contract.includes('/')) {
    if (!/^[A-Za-z_$][\w$]*$/.test(contract)) {
      throw new UsageError(`--contract ${contract} is neither a contract name nor a .json artifact file`)
    }
    return loadArtifact(contract as ContractName)
  }
  const path = isAbsolute(contract) ? contract : resolve(contract)
  let artifact: Partial<Artifact>
  try {
    artifact = JSON.parse((await readInputFile(path, 'artifact')).toString('utf8'))
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`the artifact file ${contract} is not JSON`)
  }
  const bytecode = typeof artifact.bytecode === 'string' ? artifact.bytecode : undefined
  if (!Array.isArray(artifact.abi) || bytecode === undefined || !/^(0x)?[0-9a-fA-F]*$/.test(bytecode)) {
    throw new UsageError(
      `the artifact file ${contract} has no abi and bytecode`,
      'pass a compiled artifact: a JSON object with "abi" (array) and "bytecode" (hex)',
    )
  }
  return {
    contractName: artifact.contractName ?? contract.replace(/^.*\//, '').replace(/\.json$/, ''),
    sourceName: artifact.sourceName ?? contract,
    abi: artifact.abi,
    bytecode: (bytecode.startsWith('0x') ? bytecode : `0x${bytecode}`) as `0x${string}`,
    deployedBytecode: artifact.deployedBytecode ?? '0x',
  }
}
