import { orderGatekeeperSignatures, registryDomain } from '../../contracts/admissionTypedData.js'
import { compareAddresses } from '../../contracts/quorumFulfillment.js'
import { UsageError } from '../UsageError.js'
import { type ChainOptions, openChain, parseAddress, printChainOutcome } from './chainOptions.js'
import { callRegistry } from './functionActions.js'
import { type ReadSignedAdmissionReturnType, readSignedAdmission } from './signedAdmission.js'

export type AdmitByQuorumOptions = ChainOptions & { registry: string }

/**
 * `teefn chain admit-by-quorum <signed.json...>` (anyone): submits gatekeepers' signatures of one `Admission`
 * statement (the files `teefn chain sign-admission` printed) with `admitWorkerByQuorum`, ordered as the registry
 * takes them. The files must sign the same statement for this registry and chain; the registry itself decides
 * whether they are enough (`GatekeeperQuorumNotReached`), from gatekeepers, and fresh.
 */
export async function admitByQuorumAction(files: string[], options: AdmitByQuorumOptions): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  if (files.length === 0)
    throw new UsageError('pass the signed admission files', 'teefn chain sign-admission prints one')
  const signed = await Promise.all(files.map((file) => readSignedAdmission(file)))
  const first = sameStatement(files, signed, registry)
  const chain = await openChain('admit-by-quorum', options)
  try {
    if (first.chainId !== chain.connection.chainId) {
      throw new UsageError(
        `the admission was signed for chain ${first.chainId}, but --rpc is chain ${chain.connection.chainId}`,
        'Pass the --rpc of the chain the gatekeepers signed for.',
      )
    }
    const { admission } = first
    const domain = registryDomain(first.chainId, first.registry)
    const signatures = orderGatekeeperSignatures(
      domain,
      'Admission',
      admission,
      signed.map((entry) => entry.signature),
    )
    const tuple = [
      admission.worker,
      admission.quoteHash,
      admission.measurement,
      admission.expiresAt,
      admission.nonce,
      admission.deadline,
    ]
    const outcome = await callRegistry(chain, options, registry, 'admitWorkerByQuorum', [tuple, signatures])
    const until = new Date(Number(admission.expiresAt) * 1000).toISOString()
    printChainOutcome({
      outcome,
      json: options.json,
      result: {
        worker: admission.worker,
        attestationHash: admission.quoteHash,
        measurement: admission.measurement,
        expiresAt: Number(admission.expiresAt),
        expiresAtIso: until,
        gatekeepers: signed.map((entry) => entry.signer).sort(compareAddresses),
        digest: first.digest,
        registry,
      },
      value: admission.worker,
      summary: `admitted worker ${admission.worker} until ${until} on ${signed.length} gatekeeper signature${signed.length === 1 ? '' : 's'}`,
    })
  } finally {
    chain.close()
  }
}

/** The files' common statement; a file for another registry, chain or statement is a usage error. */
function sameStatement(
  files: string[],
  signed: ReadSignedAdmissionReturnType[],
  registry: string,
): ReadSignedAdmissionReturnType {
  const first = signed[0]!
  signed.forEach((entry, i) => {
    if (entry.registry.toLowerCase() !== registry.toLowerCase()) {
      throw new UsageError(
        `${files[i]} was signed for registry ${entry.registry}, not --registry ${registry}`,
      )
    }
    if (entry.chainId !== first.chainId || entry.digest !== first.digest) {
      throw new UsageError(
        `${files[i]} signs another statement than ${files[0]}`,
        'Every gatekeeper must sign the same worker, quote hash, measurement, expiry, nonce and deadline.',
      )
    }
  })
  return first
}
