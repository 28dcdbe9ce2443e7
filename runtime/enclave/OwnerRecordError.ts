import { BaseError } from '../errors/BaseError.js'

/**
 * An owner-signed record (`SignedSecrets`, `SignedSettings`) is malformed: `field` names the bad field
 * (`version`, `ciphertext`, `signature`, `httpSecrets`, `scope.chainId`, ...). Only forms and sizes are
 * reported, never a value.
 */
export class OwnerRecordError extends BaseError<'OWNER_RECORD_INVALID'> {
  override name = 'OwnerRecordError'
  readonly field: string

  constructor(field: string, details: string, hint?: string) {
    super(`Owner record is invalid: ${field}.`, {
      code: 'OWNER_RECORD_INVALID',
      details: `${field} ${details}`,
      hint: hint ?? 'Sign the record again with `teefn secrets put` or `teefn settings put`.',
    })
    this.field = field
  }
}
