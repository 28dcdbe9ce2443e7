import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import { parseEnvelope } from '../../runtime/enclave/envelope.js'
import type { WorkerPublicKeys } from '../../runtime/enclave/TeeProvider.js'
import {
  parseWorkerIdentity,
  type VerifyEnvelopeReturnType,
  verifyEnvelope,
} from '../../runtime/enclave/verifyEnvelope.js'
import type { BaseError } from '../../runtime/errors/BaseError.js'
import type { CheckWorkerAttestationReturnType } from '../attestation/checkWorkerAttestation.js'
import { describeAttestation } from '../attestation/reportAttestation.js'
import type { TrustPolicy } from '../attestation/TrustPolicy.js'
import { resolveTrustPolicy } from '../attestation/trustOptions.js'
import { trustWorker } from '../attestation/trustWorker.js'
import { exitCodes } from '../exitCodes.js'
import { printJson, printRejection } from '../printJson.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'
import { describeVerifiedEnvelope } from '../verify/describeVerifiedEnvelope.js'
import { normalizeWorkerOption } from '../verify/normalizeWorkerOption.js'
import type { VerifyOptions } from '../verify/VerifyOptions.js'
import { verifySubstrateResults } from '../verify/verifySubstrateResults.js'

/**
 * `teefn verify <envelope.json>`: exit 0 and the signer when the envelope is valid and signed by a worker the
 * user trusts: the key `--worker` pins (verified elsewhere) and/or the key a worker attestation binds
 * (`--attestation <file|server url>`, checked under the trust flags). Without either, an intact envelope is
 * still refused (exit 1, `SIGNER_NOT_TRUSTED`): anyone can sign an envelope with a key of their own.
 * `teefn verify --substrate <ws-url> --block <hash|number> --extrinsic <index>`: the teefn results an
 * extrinsic put on a Substrate chain, checked from chain data alone (see `verifySubstrateResults`).
 */
export async function verifyAction(file: string | undefined, given: VerifyOptions): Promise<void> {
  const options = normalizeWorkerOption(given)
  checkExpectations(options)
  const policy = await resolveTrustPolicy(options)
  if (options.substrate !== undefined) {
    if (file !== undefined) throw new UsageError('pass either an envelope file or --substrate, not both')
    if (options.payloadHash !== undefined) {
      // The chain check recomputes the request from the chain itself; a pinned payload hash is not used there yet.
      throw new UsageError(
        '--payload-hash applies to an envelope file, not to --substrate',
        'save the envelope JSON and verify it with --payload-hash',
      )
    }
    if (options.attestation !== undefined) {
      if (options.worker !== undefined) {
        throw new UsageError('with --substrate, pass --worker or --attestation, not both')
      }
      const attested = await trustWorker({ source: options.attestation, policy, json: options.json })
      if (!attested) return
      options.worker = attested.publicKeys.sr25519
      options.workers = [attested.publicKeys.sr25519]
    }
    await verifySubstrateResults(options)
    return
  }
  if (options.block !== undefined || options.extrinsic !== undefined || options.quorum !== undefined) {
    throw new UsageError('--block, --extrinsic and --quorum need --substrate <ws-url>')
  }
  if (file === undefined) {
    throw new UsageError('missing the envelope file', 'pass a file, - for stdin, or --substrate <ws-url>')
  }
  await verifyEnvelopeFile(file, options, policy)
}

/** `teefn verify <file>`: integrity, the expectations, and a signer the user trusts (pinned or attested). */
async function verifyEnvelopeFile(file: string, options: VerifyOptions, policy: TrustPolicy): Promise<void> {
  const content = await readInputFile(file, 'envelope')
  let value: unknown
  try {
    value = JSON.parse(content.toString('utf8'))
  } catch {
    throw new UsageError(
      `the envelope file ${file} is not JSON`,
      'pass the envelope JSON the worker or the HTTP API returned',
    )
  }
  if (options.worker !== undefined) {
    // Check the form of --worker before judging the envelope, so a typo is a usage error (exit 2).
    let family: 'evm' | 'substrate' = 'evm'
    try {
      family = parseEnvelope(value).family
    } catch {
      // A malformed envelope is reported by verifyEnvelope below.
    }
    try {
      parseWorkerIdentity(family, options.worker)
    } catch (error) {
      throw new UsageError(`--worker ${(error as BaseError).details ?? 'is not a key or address'}`)
    }
  }
  let attested: CheckWorkerAttestationReturnType | undefined
  if (options.attestation !== undefined) {
    attested = await trustWorker({ source: options.attestation, policy, json: options.json })
    if (!attested) return
  }
  const reject = (error: { reason: string; shortMessage: string; details?: string | undefined }) => {
    printRejection('invalid', error, options.json)
    process.exitCode = exitCodes.failed
  }
  let verified: VerifyEnvelopeReturnType
  try {
    verified = await verifyEnvelope(value, {
      worker: options.worker ?? (attested ? attestedKeyOf(value, attested.publicKeys) : undefined),
      chainId: options.chainId,
      destination: options.destination,
      requestId: options.requestId,
      functionId: options.functionId,
      payloadHash: options.payloadHash,
      codeHash: options.codeHash,
    })
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error
    reject(error)
    return
  }
  const { envelope, signer } = verified
  if (attested && attestedKeyOf(envelope, attested.publicKeys).toLowerCase() !== signer.toLowerCase()) {
    // --worker and --attestation both given: the pinned key must also be the attested one.
    reject({
      reason: 'WRONG_SIGNER',
      shortMessage: 'The envelope was signed by another worker than the attested one.',
      details: `signed by ${signer}, the attestation binds ${attestedKeyOf(envelope, attested.publicKeys)}`,
    })
    return
  }
  if (options.worker === undefined && !attested) {
    printUntrusted(signer, options.json)
    process.exitCode = exitCodes.failed
    return
  }
  const trust = attested ? describeAttestation(attested) : undefined
  if (options.json) {
    printJson({
      ...describeVerifiedEnvelope(verified),
      trust: trust ? 'attestation' : 'worker',
      attestation: trust?.json ?? null,
    })
    return
  }
  process.stdout.write(
    [
      `valid: ${envelope.family} envelope signed by ${signer} (${trust?.phrase ?? 'the key --worker pins'})`,
      `  chain ${envelope.chainId}, destination ${envelope.destination}`,
      `  request ${envelope.requestId}`,
      `  payload hash ${envelope.payloadHash}`,
      `  function ${envelope.functionId}, code ${envelope.codeHash}`,
      `  status ${envelope.status}, result ${verified.result.length} bytes (${envelope.resultHash})`,
      '',
    ].join('\n'),
  )
}

/** The attested key that signs envelopes of the envelope's family (sr25519 for substrate, else the EVM address). */
function attestedKeyOf(envelope: unknown, keys: WorkerPublicKeys): string {
  const family = (envelope as { family?: unknown } | null)?.family
  return family === 'substrate' ? keys.sr25519 : keys.evmAddress
}

/** An intact envelope whose signer nothing vouches for: refused, naming both ways to trust a key. */
function printUntrusted(signer: string, json: boolean | undefined): void {
  const message = 'The envelope is intact, but nothing says its signer is a teefn worker.'
  const hint =
    'Pass --worker <key you verified> or --attestation <file|server url> (checked under --allow-dev, --collateral, ...).'
  if (json) {
    printJson({ valid: false, reason: 'SIGNER_NOT_TRUSTED', signer, message, hint })
    return
  }
  process.stdout.write(`untrusted: SIGNER_NOT_TRUSTED: ${message} (signed by ${signer})
  ${hint}
`)
}

/** Checks the form of the expectation flags first, so a typo is a usage error (exit 2), not a verdict. */
function checkExpectations(options: VerifyOptions): void {
  if (options.chainId !== undefined && !/^(\d+|0x[0-9a-fA-F]+)$/.test(options.chainId)) {
    throw new UsageError('--chain-id must be a chain id (decimal) or a genesis hash (0x-hex)')
  }
  for (const [flag, value] of [
    ['--request-id', options.requestId],
    ['--function-id', options.functionId],
    ['--payload-hash', options.payloadHash],
    ['--code-hash', options.codeHash],
  ] as const) {
    if (value !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(value))
      throw new UsageError(`${flag} must be bytes32 (0x + 64 hex digits)`)
  }
  if (options.destination !== undefined && !/^0x([0-9a-fA-F]{2})*$/.test(options.destination)) {
    throw new UsageError('--destination must be 0x-hex (an address, or substrate destination bytes)')
  }
}
