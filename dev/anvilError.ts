import { BaseError } from '../runtime/errors/BaseError.js'
import type { DevErrorCode } from './DevErrorCode.js'

/** An error of the anvil harness, with the last lines anvil printed (its banner's keys already redacted). */
export function anvilError(
  message: string,
  code: DevErrorCode,
  output: () => string,
  cause?: unknown,
): BaseError<DevErrorCode> {
  const tail = output().split('\n').slice(-20).join('\n')
  return new BaseError(message, {
    code,
    details: tail ? `Last output of anvil:\n${tail}` : undefined,
    hint: 'Check that the port is free and that anvil runs (TEEFN_ANVIL_BIN, or the @foundry-rs/anvil package).',
    cause,
  })
}
