import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type CreateDeliveryBatcherParameters, createDeliveryBatcher } from './createDeliveryBatcher.js'

type Item = { id: string; to: string }
type Sent = { items: string[]; group: string; settle: (results?: PromiseSettledResult<string>[]) => void }

/** A batcher over a `send` the test settles by hand; `sent` lists the groups in the order they left. */
function batcherWith(parameters: Partial<CreateDeliveryBatcherParameters<Item, string>> = {}) {
  const sent: Sent[] = []
  const batcher = createDeliveryBatcher<Item, string>({
    maxBatchSize: 25,
    groupOf: (item) => item.to,
    send: (items, group) =>
      new Promise((resolve) => {
        const ok = items.map(
          (item): PromiseSettledResult<string> => ({ status: 'fulfilled', value: item.id }),
        )
        sent.push({ items: items.map((item) => item.id), group, settle: (results = ok) => resolve(results) })
      }),
    ...parameters,
  })
  const add = (id: string, to = 'a') => batcher.add({ id, to })
  return { batcher, sent, add }
}

// Fake time: a window is a matter of the clock, not of how busy the machine is.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createDeliveryBatcher', () => {
  it('sends a delivery at once when nothing is out, and hands it its own result', async () => {
    const { sent, add } = batcherWith()
    const result = add('x')
    expect(sent.map((send) => send.items)).toEqual([['x']])
    sent[0]!.settle()
    await expect(result).resolves.toBe('x')
  })

  it('groups what queued up meanwhile by destination, oldest group first, at most maxBatchSize each', async () => {
    const { sent, add } = batcherWith({ maxBatchSize: 2 })
    const all = [add('a1'), add('a2'), add('b1', 'b'), add('a3'), add('a4'), add('b2', 'b')]
    expect(sent.map((send) => send.items)).toEqual([['a1']])
    for (let i = 0; i < 4; i++) {
      sent[i]!.settle()
      await vi.advanceTimersByTimeAsync(0)
    }
    expect(sent.map((send) => [send.group, ...send.items])).toEqual([
      ['a', 'a1'],
      ['a', 'a2', 'a3'],
      ['b', 'b1', 'b2'],
      ['a', 'a4'],
    ])
    expect(await Promise.all(all)).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'b2'])
  })

  it('keeps at most maxInFlight groups out, and sends the next when one settles', async () => {
    const { batcher, sent, add } = batcherWith({ maxBatchSize: 1, maxInFlight: 2 })
    for (const id of ['1', '2', '3', '4']) void add(id)
    expect(sent).toHaveLength(2)
    expect(batcher).toMatchObject({ inFlight: 2, waiting: 2 })
    sent[1]!.settle()
    await vi.advanceTimersByTimeAsync(0)
    expect(sent.map((send) => send.items[0])).toEqual(['1', '2', '3'])
    expect(batcher).toMatchObject({ inFlight: 2, waiting: 1 })
  })

  it('waits windowMs after a send before the next, unless a full batch waits', async () => {
    const { sent, add } = batcherWith({ maxBatchSize: 3, maxInFlight: 4, windowMs: 30 })
    void add('1')
    void add('2')
    void add('3')
    expect(sent.map((send) => send.items)).toEqual([['1']])
    await vi.advanceTimersByTimeAsync(29)
    expect(sent).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(sent.map((send) => send.items)).toEqual([['1'], ['2', '3']])

    // Within the next window: a full batch does not wait.
    for (const id of ['4', '5', '6']) void add(id)
    expect(sent.map((send) => send.items)).toEqual([['1'], ['2', '3'], ['4', '5', '6']])
  })

  it('lets the oldest delivery linger lingerMs for company', async () => {
    const { sent, add } = batcherWith({ lingerMs: 20 })
    void add('1')
    await vi.advanceTimersByTimeAsync(15)
    void add('2')
    expect(sent).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(5)
    expect(sent.map((send) => send.items)).toEqual([['1', '2']])
  })

  it('settles each delivery of a group on its own: one refused, the others fulfilled', async () => {
    const { sent, add } = batcherWith({ lingerMs: 10 })
    const [ok, refused] = [add('ok'), add('refused')]
    await vi.advanceTimersByTimeAsync(10)
    sent[0]!.settle([
      { status: 'fulfilled', value: 'ok' },
      { status: 'rejected', reason: new Error('refused on-chain') },
    ])
    await expect(ok).resolves.toBe('ok')
    await expect(refused).rejects.toThrow('refused on-chain')
  })

  it('fails only the group whose send threw, and one it left unsettled', async () => {
    let call = 0
    const batcher = createDeliveryBatcher<Item, string>({
      maxBatchSize: 5,
      groupOf: (item) => item.to,
      send: async (items) => {
        call++
        if (call === 1) throw new Error('node down')
        return call === 2 ? [] : items.map((item) => ({ status: 'fulfilled', value: item.id }))
      },
      maxInFlight: 3,
    })
    const [a, b, c] = [
      batcher.add({ id: 'a', to: 'x' }),
      batcher.add({ id: 'b', to: 'y' }),
      batcher.add({ id: 'c', to: 'z' }),
    ]
    await expect(a).rejects.toThrow('node down')
    await expect(b).rejects.toMatchObject({ code: 'DELIVERY_UNSETTLED' })
    await expect(c).resolves.toBe('c')
  })

  it('fails what still waits when closed, and takes nothing after', async () => {
    const { batcher, sent, add } = batcherWith({ windowMs: 50 })
    void add('out')
    const waiting = add('waiting')
    batcher.close()
    await expect(waiting).rejects.toMatchObject({ code: 'DELIVERY_BATCHER_CLOSED' })
    await expect(add('late')).rejects.toMatchObject({ code: 'DELIVERY_BATCHER_CLOSED' })
    await vi.advanceTimersByTimeAsync(100)
    expect(sent).toHaveLength(1)
  })
})
