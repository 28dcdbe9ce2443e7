export type CreateNonceManagerParameters = {
  /** The sending account's `pending` transaction count, read from the node. */
  readNonce: () => Promise<number>
}

export type NonceManager = {
  /**
   * Runs `send` with the account's next nonce, one send at a time, so consecutive sends get consecutive
   * nonces and can be in flight together (only the broadcast is serialized, not the wait for receipts).
   * The nonce is used up only when `send` resolves; when it throws, the next nonce is read again from the
   * node, and a nonce the node refuses as used is retried once with a fresh one.
   */
  send<T>(send: (nonce: number) => Promise<T>): Promise<T>
  /** Forgets the local nonce; the next send reads it from the node. */
  reset(): void
  /** The nonce the next send gets, when known. */
  readonly next: number | undefined
}

/**
 * Local nonces for one sending key. Unlike ethers' `NonceManager`, a failed estimate or broadcast does not
 * leave a gap: nonces are handed out only inside the serialized send, and any failure re-reads them.
 */
export function createNonceManager({ readNonce }: CreateNonceManagerParameters): NonceManager {
  let next: number | undefined
  let tail: Promise<unknown> = Promise.resolve()

  const attempt = async <T>(send: (nonce: number) => Promise<T>): Promise<T> => {
    if (next === undefined) next = await readNonce()
    const nonce = next
    try {
      const result = await send(nonce)
      next = nonce + 1
      return result
    } catch (error) {
      next = undefined
      throw error
    }
  }

  return {
    send<T>(send: (nonce: number) => Promise<T>): Promise<T> {
      const run = tail.then(async () => {
        try {
          return await attempt(send)
        } catch (error) {
          // Someone else used the key (or a send we thought failed went through): once more with the
          // node's count.
          if (isNonceConflict(error)) return attempt(send)
          throw error
        }
      })
      tail = run.catch(() => {})
      return run
    },
    reset() {
      next = undefined
    },
    get next() {
      return next
    },
  }
}

/** Whether a node refused a transaction for its nonce (used already, or replaced). */
export function isNonceConflict(error: unknown): boolean {
  const code = (error as { code?: string })?.code
  if (code === 'NONCE_EXPIRED' || code === 'REPLACEMENT_UNDERPRICED') return true
  const message = String((error as Error)?.message ?? error).toLowerCase()
  return (
    message.includes('nonce too low') ||
    message.includes('nonce has already been used') ||
    message.includes('replacement transaction underpriced')
  )
}
