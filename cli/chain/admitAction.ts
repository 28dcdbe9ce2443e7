import { attestationHash } from '../../runtime/enclave/attestationHash.js'
import { describeAttestation } from '../attestation/reportAttestation.js'
import { resolveTrustPolicy, type TrustOptions } from '../attestation/trustOptions.js'
import { trustWorker } from '../attestation/trustWorker.js'
import { resolveServerUrl } from '../commands/apiClient.js'
import { type ChainOptions, openChain, parseAddress, printChainOutcome } from './chainOptions.js'
import { callRegistry } from './functionActions.js'
import { parseDuration } from './parseDuration.js'

export type AdmitOptions = ChainOptions &
  TrustOptions & { registry: string; server?: string; expiresIn: string }

/**
 * `teefn chain admit --server <node>` (the registry's admin): reads the worker's attestation from the node,
 * verifies it as `teefn invoke` does (same trust flags), and admits the worker it binds with
 * `admitWorker(worker, attestationHash(quote), expiresAt)`. A refused attestation admits nothing (exit 1).
 */
export async function admitAction(options: AdmitOptions): Promise<void> {
  const registry = parseAddress(options.registry, '--registry')
  const server = resolveServerUrl(options.server)
  const seconds = parseDuration(options.expiresIn, '--expires-in')
  const policy = await resolveTrustPolicy(options)
  const chain = await openChain('admit', options)
  try {
    chain.progress(`verifying the worker attestation of ${server}`)
    const attested = await trustWorker({ source: server, policy, json: options.json })
    if (!attested) return
    const worker = attested.publicKeys.evmAddress
    const hash = attestationHash(attested.quote)
    // Expiry counts from the chain's clock, which may differ from this machine's (a local node's often does).
    const latest = await chain.connection.provider.getBlock('latest')
    const expiresAt = BigInt((latest?.timestamp ?? Math.floor(Date.now() / 1000)) + seconds)
    const outcome = await callRegistry(chain, options, registry, 'admitWorker', [worker, hash, expiresAt])
    const attestation = describeAttestation(attested)
    printChainOutcome({
      outcome,
      json: options.json,
      result: {
        worker,
        attestationHash: hash,
        expiresAt: Number(expiresAt),
        expiresAtIso: new Date(Number(expiresAt) * 1000).toISOString(),
        registry,
        server,
        attestation: attestation.json,
      },
      value: worker,
      summary: `admitted worker ${worker} until ${new Date(Number(expiresAt) * 1000).toISOString()} (${attestation.phrase}; attestation hash ${hash})`,
    })
  } finally {
    chain.close()
  }
}
