import { cryptoWaitReady } from '@polkadot/util-crypto'
import type { Hex } from '../../runtime/bytes.js'
import { maxQuorumEnvelopes } from '../../runtime/chain/substrate/remarkProtocol.js'
import { parseWorkerIdentity } from '../../runtime/enclave/verifyEnvelope.js'
import type { BaseError } from '../../runtime/errors/BaseError.js'
import { exitCodes } from '../exitCodes.js'
import { printJson } from '../printJson.js'
import { UsageError } from '../UsageError.js'
import { describeSubstrateVerdict } from './describeSubstrateVerdict.js'
import { judgeSubstrateQuorumResult } from './judgeSubstrateQuorumResult.js'
import { judgeSubstrateResult } from './judgeSubstrateResult.js'
import type { VerifyOptions } from './VerifyOptions.js'

/**
 * Reads the teefn results one extrinsic executed and verifies each: the sr25519 signature over the envelope,
 * the chain (the node's genesis hash), and the request it answers, found again in the block the result names
 * (same requestId, function and origin account as destination, on the canonical chain). A quorum result (or any
 * result under `--quorum k`) must also hold k distinct agreeing signers, from the `--worker` set when given
 * (`judgeSubstrateQuorumResult`). Exit 0 only when the extrinsic holds at least one result and all of them (or
 * the one `--request-id` selects) are valid.
 */
export async function verifySubstrateResults(options: VerifyOptions): Promise<void> {
  const { block, extrinsicIndex, threshold, workers } = parseSubstrateOptions(options)
  const { connectSubstrate } = await import('../../relayer/substrate/connectSubstrate.js')
  const { readSubstrateResults } = await import('../../relayer/substrate/readSubstrateResults.js')
  const connection = await connectSubstrate({ url: options.substrate!, reconnectDelayMs: 0 })
  try {
    await cryptoWaitReady()
    const read = await readSubstrateResults(connection.api, { block, extrinsicIndex })
    const selected = read.results.filter(
      (result) =>
        options.requestId === undefined ||
        result.envelope.requestId.toLowerCase() === options.requestId.toLowerCase(),
    )
    const { worker: _, ...expected } = options
    const verdicts = selected.map((result) =>
      result.envelopes !== undefined || threshold !== undefined
        ? judgeSubstrateQuorumResult(result, read.chainId, { threshold: threshold ?? 1, workers }, expected)
        : judgeSubstrateResult(result, read.chainId, {
            ...expected,
            worker: workers?.length === 1 ? workers[0] : undefined,
          }),
    )
    // Several --worker keys and a plain result: its one signer must be one of them.
    for (const [index, verdict] of verdicts.entries()) {
      if (
        verdict.valid &&
        workers &&
        workers.length > 1 &&
        !workers.includes(verdict.signer.toLowerCase() as Hex)
      ) {
        verdicts[index] = {
          valid: false,
          requestId: verdict.requestId,
          reason: 'SIGNER_NOT_ALLOWED',
          message: 'The envelope is signed by a key outside the --worker set.',
          details: verdict.signer,
        }
      }
    }
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
      for (const verdict of verdicts) lines.push(...describeSubstrateVerdict(verdict, read))
      process.stdout.write(`${lines.join('\n')}\n`)
    }
    if (!valid) process.exitCode = exitCodes.failed
  } finally {
    await connection.close()
  }
}

/** The flags of `--substrate`, checked (usage errors, exit 2). */
function parseSubstrateOptions(options: VerifyOptions) {
  const url = options.substrate!
  if (!/^wss?:\/\/\S+$/.test(url)) throw new UsageError('--substrate must be a ws:// or wss:// URL')
  if (options.block === undefined || options.extrinsic === undefined) {
    throw new UsageError('--substrate needs --block <hash|number> and --extrinsic <index>')
  }
  let block: Hex | number
  if (/^0x[0-9a-fA-F]{64}$/.test(options.block)) block = options.block as Hex
  else if (/^\d{1,10}$/.test(options.block)) block = Number(options.block)
  else throw new UsageError('--block must be a block hash (0x + 64 hex digits) or a block number')
  if (!/^\d{1,6}$/.test(options.extrinsic))
    throw new UsageError('--extrinsic must be an extrinsic index (0, 1, ...)')
  let threshold: number | undefined
  if (options.quorum !== undefined) {
    threshold = /^\d{1,2}$/.test(options.quorum) ? Number(options.quorum) : 0
    if (threshold < 1 || threshold > maxQuorumEnvelopes) {
      throw new UsageError(`--quorum must be a number of workers from 1 to ${maxQuorumEnvelopes}`)
    }
  }
  const workers = options.workers?.map((worker) => {
    try {
      return parseWorkerIdentity('substrate', worker).toLowerCase() as Hex
    } catch (error) {
      throw new UsageError(`--worker ${(error as BaseError).details ?? 'is not a key or address'}`)
    }
  })
  return { block, extrinsicIndex: Number(options.extrinsic), threshold, workers }
}
