import { UsageError } from '../UsageError.js'
import type { VerifyOptions } from './VerifyOptions.js'

/**
 * `--worker` is repeatable (a quorum result names several workers): commander collects it into a list. An
 * envelope file has one signer, so there it may be given once; `worker` is then the one key and `workers` the
 * list, for `--substrate`.
 */
export function normalizeWorkerOption(options: VerifyOptions): VerifyOptions {
  const given = options.worker as string | string[] | undefined
  if (given === undefined || typeof given === 'string') {
    return { ...options, workers: given === undefined ? undefined : [given] }
  }
  if (given.length > 1 && options.substrate === undefined) {
    throw new UsageError(
      '--worker is given once for an envelope file',
      'repeat --worker only with --substrate',
    )
  }
  return { ...options, worker: given[0], workers: given }
}
