import {
  type Admission,
  registryDomain,
  signGatekeeperStatement,
} from '../../contracts/admissionTypedData.js'
import { attachRegistry } from '../../contracts/artifacts.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { assertContract, type ChainOptions, openChain, parseAddress, parseBytes32 } from './chainOptions.js'
import { decodeChainError } from './decodeChainError.js'
import { signedAdmissionJson } from './signedAdmission.js'

export type SignAdmissionOptions = Pick<ChainOptions, 'rpc' | 'key' | 'json'> & {
  registry: string
  worker: string
  quoteHash: string
  measurement: string
  expiry: string
  deadline?: string
}

/**
 * `teefn chain sign-admission` (one gatekeeper): signs the registry's EIP-712 `Admission` statement for a worker
 * with the sender's key and prints it as JSON (`SignedAdmission`); `teefn chain admit-by-quorum` submits k of
 * them. Nothing is sent. The nonce is the worker's `workerNonce` now, and the deadline defaults to the expiry, so
 * gatekeepers who pass the same flags sign the same statement. A signer that is not a gatekeeper, or a
 * measurement not pinned, is warned about on stderr: the registry would refuse the admission.
 */
export async function signAdmissionAction(options: SignAdmissionOptions): Promise<void> {
  const registryAddress = parseAddress(options.registry, '--registry')
  const worker = parseAddress(options.worker, '--worker')
  const quoteHash = parseBytes32(options.quoteHash, '--quote-hash')
  const measurement = parseBytes32(options.measurement, '--measurement')
  const expiresAt = parseUnixTime(options.expiry, '--expiry')
  const deadline = options.deadline === undefined ? expiresAt : parseUnixTime(options.deadline, '--deadline')
  const chain = await openChain('sign-admission', options, 'a gatekeeper statement')
  try {
    const { connection, wallet } = chain
    await assertContract(connection, registryAddress, 'registry')
    const registry = attachRegistry(registryAddress, connection.provider)
    const [nonce, isGatekeeper, pinned] = await Promise.all([
      registry.workerNonce(worker),
      registry.isGatekeeper(wallet.address),
      registry.isMeasurementPinned(measurement),
    ]).catch((error: unknown) => {
      throw decodeChainError(error, { abis: [], action: 'workerNonce', rpc: connection.rpc })
    })
    const admission: Admission = { worker, quoteHash, measurement, expiresAt, nonce, deadline }
    const domain = registryDomain(connection.chainId, registryAddress)
    const signature = await signGatekeeperStatement(wallet, domain, 'Admission', admission)
    if (!isGatekeeper) warn(`${wallet.address} is not a gatekeeper of ${registryAddress}`)
    if (!pinned) warn(`measurement ${measurement} is not pinned in ${registryAddress}`)
    printJson(signedAdmissionJson(connection.chainId, registryAddress, admission, wallet.address, signature))
  } finally {
    chain.close()
  }
}

function warn(what: string): void {
  process.stderr.write(`warning: ${what}; the registry will refuse this admission until that changes\n`)
}

/** A unix time in seconds (a uint64 the contract takes). */
function parseUnixTime(value: string | undefined, flag: string): bigint {
  if (value === undefined || !/^\d{1,15}$/.test(value)) {
    throw new UsageError(`${flag} must be a unix time in seconds`, `got ${value ?? 'nothing'}`)
  }
  return BigInt(value)
}
