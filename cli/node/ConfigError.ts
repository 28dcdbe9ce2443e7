import { BaseError } from '../../runtime/errors/BaseError.js'

/** A `teefn node` configuration that cannot run: names the field, says what was expected. */
export class ConfigError extends BaseError {
  override name = 'ConfigError'
  constructor(shortMessage: string, parameters: { details?: string; hint?: string }) {
    super(shortMessage, { code: 'CONFIG_INVALID', ...parameters })
  }
}
