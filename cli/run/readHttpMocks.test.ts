import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejectionOf } from '../../test/support/rejectionOf.js'
import { UsageError } from '../UsageError.js'
import { readHttpMocks } from './readHttpMocks.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teefn-mocks-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function mockFile(content: string): Promise<string> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`)
  await writeFile(path, content)
  return path
}

describe('readHttpMocks', () => {
  it('reads a valid mock file', async () => {
    const path = await mockFile('[{"request": {"url": "https://a.example/*"}, "response": {"json": [1]}}]')
    expect(await readHttpMocks(path)).toEqual([
      { request: { url: 'https://a.example/*' }, response: { status: 200, json: [1] } },
    ])
  })

  it.each([
    ['bad JSON', '[{', /^--mock .+\.json is not valid JSON: /],
    [
      'a bad entry',
      '[{"request": {"url": 1}, "response": {}}]',
      /^--mock .+\.json: mocks\[0\]\.request\.url must be a URL string \(got 1\)$/,
    ],
  ])('makes %s a usage error naming the file', async (_kind, content, message) => {
    const error = await rejectionOf(readHttpMocks(await mockFile(content)))
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).shortMessage).toMatch(message)
  })

  it('makes a missing file a usage error', async () => {
    const error = await rejectionOf(readHttpMocks(join(dir, 'missing.json')))
    expect((error as UsageError).shortMessage).toMatch(
      /^cannot read the mock file .*missing\.json \(ENOENT\)$/,
    )
  })
})
