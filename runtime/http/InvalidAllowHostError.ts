import { BaseError } from '../errors/BaseError.js'

/** An allowlist entry (`--allow-host`, `allowHosts`) is not `host` or `host:port`. */
export class InvalidAllowHostError extends BaseError {
  override name = 'InvalidAllowHostError'

  constructor(entry: string, problem: string) {
    super(`Invalid allowed host ${JSON.stringify(entry)}: ${problem}.`, {
      code: 'INVALID_ALLOW_HOST',
      hint: 'Write a host name or IP address, optionally with a port: api.internal, api.internal:8443, 10.0.0.7:8080, [::1]:8080.',
    })
  }
}
