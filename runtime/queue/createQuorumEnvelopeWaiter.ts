import type { Redis } from 'ioredis'
import { type QuorumRequestRef, quorumEnvelopeChannel } from './quorumEnvelopeKey.js'

/** One request's arrivals, heard from the moment `watch` resolved. */
export type QuorumEnvelopeWatch = {
  /**
   * Resolves `true` at once if an envelope was stored since the last call (or since the watch began), else on
   * the next one; `false` after `timeoutMs` with none.
   */
  next(timeoutMs: number): Promise<boolean>
  /** Stops listening (the channel is unsubscribed when its last watch closes). */
  close(): Promise<void>
}

export type QuorumEnvelopeWaiter = {
  /** Subscribes to the request's announcements; read the store after this resolves, so no arrival is missed. */
  watch(ref: QuorumRequestRef): Promise<QuorumEnvelopeWatch>
  /** Closes the subscriber connection; open watches' `next` calls resolve `false`. */
  close(): Promise<void>
}

type Listener = { heard: boolean; wake: ((heard: boolean) => void) | undefined }

/**
 * Wakes a quorum delivery when an envelope for its request is stored (the store announces each one on
 * `quorumEnvelopeChannel`), so a node acts on a peer's answer when it arrives instead of polling for it. One
 * subscriber connection (a duplicate of `connection`, opened on first use) serves every request.
 */
export function createQuorumEnvelopeWaiter(connection: Redis): QuorumEnvelopeWaiter {
  let subscriber: Redis | undefined
  let closed = false
  const channels = new Map<string, { listeners: Set<Listener>; subscribed: Promise<unknown> }>()

  const subscriberOf = (): Redis => {
    if (subscriber) return subscriber
    subscriber = connection.duplicate()
    subscriber.on('error', () => {}) // reconnects on its own; a missed wake-up only delays to the timeout
    subscriber.on('message', (channel: string) => {
      for (const listener of channels.get(channel)?.listeners ?? []) {
        listener.heard = true
        listener.wake?.(true)
      }
    })
    return subscriber
  }

  return {
    async watch(ref) {
      if (closed) throw new Error('the quorum envelope waiter is closed')
      const channel = quorumEnvelopeChannel(ref)
      const listener: Listener = { heard: false, wake: undefined }
      let entry = channels.get(channel)
      if (!entry) {
        entry = { listeners: new Set(), subscribed: subscriberOf().subscribe(channel) }
        channels.set(channel, entry)
      }
      const { listeners } = entry
      listeners.add(listener)
      try {
        await entry.subscribed
      } catch (error) {
        // A failed subscription is not kept: the next watch of this request subscribes again.
        listeners.delete(listener)
        if (channels.get(channel) === entry) channels.delete(channel)
        throw error
      }
      return {
        next(timeoutMs) {
          if (listener.heard || closed) {
            const heard = listener.heard
            listener.heard = false
            return Promise.resolve(heard)
          }
          return new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => settle(false), Math.max(0, timeoutMs))
            const settle = (heard: boolean) => {
              clearTimeout(timer)
              listener.wake = undefined
              listener.heard = false
              resolve(heard)
            }
            listener.wake = settle
          })
        },
        async close() {
          listener.wake?.(false)
          listeners.delete(listener)
          if (listeners.size > 0 || channels.get(channel) !== entry) return
          channels.delete(channel)
          if (!closed) await subscriber?.unsubscribe(channel).catch(() => {})
        },
      }
    },
    async close() {
      closed = true
      for (const { listeners } of channels.values()) for (const listener of listeners) listener.wake?.(false)
      channels.clear()
      subscriber?.disconnect()
    },
  }
}
