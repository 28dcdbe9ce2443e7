import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { watchFiles } from './watchFiles.js'

const dir = mkdtempSync(join(tmpdir(), 'teefn-watch-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Collects onChange calls; `next()` resolves with the next one. */
function changes() {
  const seen: string[] = []
  let waiting: ((file: string) => void) | undefined
  return {
    seen,
    onChange(file: string) {
      seen.push(file)
      waiting?.(file)
    },
    next: () => new Promise<string>((resolve) => (waiting = resolve)),
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('watchFiles', () => {
  it('reports a burst of writes once, a rename over the file too, and ignores files it does not watch', async () => {
    mkdirSync(join(dir, 'src'))
    const entry = join(dir, 'src', 'index.ts')
    const other = join(dir, 'src', 'notes.md')
    writeFileSync(entry, 'one')
    writeFileSync(other, 'one')
    const calls = changes()
    const watcher = watchFiles({ onChange: calls.onChange, debounceMs: 50 })
    try {
      watcher.update([entry])
      writeFileSync(other, 'two')
      await pause(150)
      expect(calls.seen).toEqual([])

      const first = calls.next()
      writeFileSync(entry, 'two')
      writeFileSync(entry, 'three')
      expect(await first).toBe(entry)
      await pause(150)
      expect(calls.seen).toEqual([entry])

      // An editor's atomic save: a new file renamed over the old one.
      const second = calls.next()
      writeFileSync(`${entry}.tmp`, 'four')
      renameSync(`${entry}.tmp`, entry)
      expect(await second).toBe(entry)
    } finally {
      watcher.close()
    }
  })

  it('stops reporting a file once it is no longer in the set, and reports nothing after close', async () => {
    const a = join(dir, 'a.ts')
    const b = join(dir, 'b.ts')
    writeFileSync(a, '1')
    writeFileSync(b, '1')
    const calls = changes()
    const watcher = watchFiles({ onChange: calls.onChange, debounceMs: 20 })
    watcher.update([a, b])
    watcher.update([b])
    writeFileSync(a, '2')
    await pause(120)
    expect(calls.seen).toEqual([])
    const next = calls.next()
    writeFileSync(b, '2')
    expect(await next).toBe(b)
    watcher.close()
    writeFileSync(b, '3')
    await pause(120)
    expect(calls.seen).toEqual([b])
  })
})
