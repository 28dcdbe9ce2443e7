import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandboxPool, type SandboxPool } from '../../runtime/sandbox/index.js'
import { codeOf, invokeFunction } from '../../test/support/invokeFunction.js'
import { loadExampleFunction } from '../../test/support/loadExampleFunction.js'
import { type StartHttpServerReturnType, startHttpServer } from '../../test/support/startHttpServer.js'

const apiKey = 'sk_test_4f9c2b7d1e8a'
let pool: SandboxPool
let code: string
let api: StartHttpServerReturnType

beforeAll(async () => {
  ;({ code } = await loadExampleFunction(import.meta.url))
  pool = await createSandboxPool({ threads: 1 })
  api = await startHttpServer((request, response) => {
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      response.statusCode = 401
      return void response.end(JSON.stringify({ error: 'unauthorized' }))
    }
    response.end(JSON.stringify({ match: { id: 7, score: { home: 2, away: 1 }, status: 'final' } }))
  })
})

afterAll(async () => {
  await pool?.close()
  await api?.close()
})

const run = (field: string, secrets: Record<string, string>) =>
  invokeFunction(pool, code, {
    request: JSON.stringify({ url: `${api.url}/v1/matches/7`, field }),
    secrets,
    allowHosts: [`127.0.0.1:${api.port}`],
  })

describe('apiWithSecret', () => {
  it('authenticates with the API_KEY secret and returns the field', async () => {
    expect((await run('match.status', { API_KEY: apiKey })).result).toBe('final')
    expect((await run('match.score', { API_KEY: apiKey })).result).toBe('{"home":2,"away":1}')
    expect(api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${apiKey}`)
  })

  it('never puts the key in logs, errors or the result', async () => {
    const outcomes = [
      await run('match.status', { API_KEY: apiKey }),
      await run('match.missing', { API_KEY: apiKey }),
      await run('match.status', { API_KEY: `${apiKey}-revoked` }),
    ]
    expect(outcomes.map(codeOf)).toEqual(['OK', 'FUNCTION_ERROR', 'FUNCTION_ERROR'])
    expect(outcomes[2]?.error?.message).toMatch(/the API answered 401/)
    for (const outcome of outcomes) expect(JSON.stringify(outcome)).not.toContain(apiKey)
  })

  it('says how to provide a missing key', async () => {
    const outcome = await run('match.status', {})
    expect(outcome.error?.message).toMatch(/the API_KEY secret is missing/)
  })
})
