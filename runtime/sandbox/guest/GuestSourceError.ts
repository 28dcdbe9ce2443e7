import { BaseError } from '../../errors/BaseError.js'

/** A file in `guest/src/` is not in the one shape the host can evaluate (see CONTRIBUTING, Guest code). */
export class GuestSourceError extends BaseError {
  override name = 'GuestSourceError'
  constructor(part: string) {
    super(`${part}: a guest file holds one \`export default function\`, and types besides`, {
      code: 'GUEST_SOURCE_INVALID',
      hint: 'Keep the whole part inside its `export default function`; move any other statement into it.',
    })
  }
}
