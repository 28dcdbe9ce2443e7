import { BaseError } from '../errors/BaseError.js'

/**
 * A function scope is not valid: `field` names the bad field (`family`, `chainId`, `registry`, `functionId`,
 * or `scope` for the whole value). The value itself is never echoed, only its form.
 */
export class FunctionScopeError extends BaseError<'FUNCTION_SCOPE_INVALID'> {
  override name = 'FunctionScopeError'
  readonly field: string

  constructor(field: string, details: string) {
    super(`Function scope is invalid: ${field}.`, {
      code: 'FUNCTION_SCOPE_INVALID',
      details: `${field} ${details}`,
      hint: 'A scope is { family: "evm", chainId: "<decimal>", registry: "<20-byte address>", functionId: "<bytes32>" } or { family: "substrate", chainId: "<genesis hash>", registry: "0x", functionId: "<bytes32>" }.',
    })
    this.field = field
  }
}
