import { cryptoWaitReady } from '@polkadot/util-crypto'
import type { OnChainResult } from '../../relayer/substrate/readSubstrateResults.js'
import { EnvelopeError } from '../../runtime/enclave/EnvelopeError.js'
import { parseWorkerIdentity, verifyParsedEnvelope } from '../../runtime/enclave/verifyEnvelope.js'
import type { BaseError } from '../../runtime/errors/BaseError.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { describeVerifiedEnvelope } from './describeVerifiedEnvelope.js'
import type { VerifyOptions } from './VerifyOptions.js'

/**
 * Reads the teefn results one extrinsic executed and verifies each: the sr25519 signature over the envelope,
 * the chain (the node's genesis hash), and the request it answers, found again in the block the result names
 * (same requestId, function and origin account as destination, on the canonical chain). Exit 0 only when the
 * extrinsic holds at least one result and all of them (or the one `--request-id` selects) are valid.
 */
export async function verifySubstrateResults(options: VerifyOptions): Promise<void> {
  const url = options.substrate!
  if (!/^wss?:\/\/\S+$/.test(url)) throw new UsageError('--substrate must be a ws:// or wss:// URL')
  if (options.block === undefined || options.extrinsic === undefined) {
    throw new UsageError('--substrate needs --block <hash|number> and --extrinsic <index>')
  }
  let block: `0x${string}` | number
  if (/^0x[0-9a-fA-F]{64}$/.test(options.block)) block = options.block as `0x${string}`
  else if (/^\d{1,10}$/.test(options.block)) block = Number(options.block)
  else throw new UsageError('--block must be a block hash (0x + 64 hex digits) or a block number')
  if (!/^\d{1,6}$/.test(options.extrinsic))
    throw new UsageError('--extrinsic must be an extrinsic index (0, 1, ...)')
  const extrinsicIndex = Number(options.extrinsic)
  if (options.worker !== undefined) {
    try {
      parseWorkerIdentity('substrate', options.worker)
    } catch (error) {
      throw new UsageError(`--worker ${(error as BaseError).details ?? 'is not a key or address'}`)
    }
  }

  const { connectSubstrate } = await import('../../relayer/substrate/connectSubstrate.js')
  const { readSubstrateResults } = await import('../../relayer/substrate/readSubstrateResults.js')
  const connection = await connectSubstrate({ url, reconnectDelayMs: 0 })
  try {
    await cryptoWaitReady()
    const read = await readSubstrateResults(connection.api, { block, extrinsicIndex })
    const selected = read.results.filter(
      (result) =>
        options.requestId === undefined ||
        result.envelope.requestId.toLowerCase() === options.requestId.toLowerCase(),
    )
    const verdicts = selected.map((result) => judge(result, read.chainId, options))
    const valid = verdicts.length > 0 && verdicts.every((verdict) => verdict.valid)
    const where = {
      blockHash: read.blockHash,
      blockNumber: read.blockNumber,
      extrinsicIndex,
      call: read.call,
    }
    if (options.json) {
      printJson({
        valid,
        chainId: read.chainId,
        ...where,
        ...(verdicts.length === 0 ? { reason: 'NO_RESULT' } : {}),
        malformed: read.malformed,
        results: verdicts,
      })
    } else {
      const lines: string[] = []
      if (verdicts.length === 0) {
        lines.push(
          `invalid: NO_RESULT: extrinsic ${extrinsicIndex} of block #${read.blockNumber} (${read.call}) carries no executed teefn result${options.requestId ? ` for request ${options.requestId}` : ''}`,
        )
      }
      for (const verdict of verdicts) {
        if (!verdict.valid) {
          lines.push(
            `invalid: ${verdict.reason}: ${verdict.message}${verdict.details ? ` (${verdict.details})` : ''}`,
            `  request ${verdict.requestId}`,
          )
          continue
        }
        const request = verdict.request!
        lines.push(
          `valid: substrate envelope signed by ${verdict.signer}`,
          `  chain ${verdict.chainId}, destination ${verdict.destination}`,
          `  request ${verdict.requestId}: extrinsic ${request.extrinsicIndex} of block #${request.blockNumber} (${request.blockHash}), from ${request.sender}`,
          `  function ${verdict.functionId}, code ${verdict.codeHash}`,
          `  status ${verdict.status}, result ${verdict.resultBytes} bytes (${verdict.resultHash})`,
          `  on-chain: extrinsic ${extrinsicIndex} (${read.call}) of block #${read.blockNumber} (${read.blockHash})`,
        )
      }
      process.stdout.write(`${lines.join('\n')}\n`)
    }
    if (!valid) process.exitCode = exitCodes.failed
  } finally {
    await connection.close()
  }
}

type SubstrateVerdict =
  | (ReturnType<typeof describeVerifiedEnvelope> & {
      request: { blockHash: string; blockNumber: number; extrinsicIndex: number; sender: string | undefined }
    })
  | { valid: false; requestId: string; reason: string; message: string; details?: string | undefined }

function judge(result: OnChainResult, chainId: string, options: VerifyOptions): SubstrateVerdict {
  const { envelope, request, reference } = result
  const refused = (reason: string, message: string, details?: string): SubstrateVerdict => ({
    valid: false,
    requestId: envelope.requestId,
    reason,
    message,
    details,
  })
  if (options.chainId !== undefined && options.chainId.toLowerCase() !== chainId.toLowerCase()) {
    return refused(
      'WRONG_CHAIN',
      'The node serves another chain.',
      `genesis ${chainId}, expected ${options.chainId}`,
    )
  }
  let verified: ReturnType<typeof verifyParsedEnvelope>
  try {
    verified = verifyParsedEnvelope(envelope, {
      worker: options.worker,
      chainId,
      destination: options.destination,
      requestId: options.requestId,
      functionId: options.functionId,
      codeHash: options.codeHash,
    })
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error
    return refused(error.reason, error.shortMessage, error.details)
  }
  if (!request) {
    return refused(
      'REQUEST_NOT_FOUND',
      'The request this result answers is not on the chain.',
      `no teefn request with id ${envelope.requestId} in extrinsic ${reference.extrinsicIndex} of block ${reference.blockHash}`,
    )
  }
  if (!request.canonical) {
    return refused(
      'REQUEST_NOT_CANONICAL',
      'The request is in a block that is no longer on the chain.',
      request.blockHash,
    )
  }
  if (request.functionId.toLowerCase() !== envelope.functionId.toLowerCase()) {
    return refused(
      'WRONG_FUNCTION',
      'The result is for another function than the request asked.',
      `request ${request.functionId}, envelope ${envelope.functionId}`,
    )
  }
  if (request.destination.toLowerCase() !== envelope.destination.toLowerCase()) {
    return refused(
      'WRONG_DESTINATION',
      'The result is for another account than the requester.',
      `request from ${request.destination}, envelope ${envelope.destination}`,
    )
  }
  return {
    ...describeVerifiedEnvelope(verified),
    request: {
      blockHash: request.blockHash,
      blockNumber: request.blockNumber,
      extrinsicIndex: reference.extrinsicIndex,
      sender: request.sender,
    },
  }
}
