/**
 * Calls an authenticated JSON API with the owner's `API_KEY` secret and returns one field of the answer.
 * The key travels only in the Authorization header: it is never logged or returned (and the runtime
 * masks secret values in logs and errors in case a function forgets).
 *
 * The request is JSON (or 0x-hex of JSON): `{ "url": "https://api.example.com/v1/...", "field": "data.score" }`.
 */
import { requestText } from '../lib/requestText.js'
import type { Main } from '../types.js'

type ApiRequest = { url: string; field: string }

const main: Main = async (request, secrets) => {
  const apiKey = secrets.API_KEY
  if (!apiKey) throw new Error('the API_KEY secret is missing: encrypt it with `teefn secrets encrypt`')
  const { url, field } = parseRequest(request)
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
  })
  console.log(`GET ${url} -> ${response.status}`)
  if (!response.ok) throw new Error(`the API answered ${response.status}`)
  let value: unknown = await response.json()
  for (const key of field.split('.')) value = (value as Record<string, unknown>)?.[key]
  if (value === undefined || value === null) throw new Error(`the answer has no "${field}"`)
  return typeof value === 'string' ? value : JSON.stringify(value)
}

export default main

function parseRequest(request: string): ApiRequest {
  const parsed = JSON.parse(requestText(request)) as Partial<ApiRequest>
  if (typeof parsed.url !== 'string' || typeof parsed.field !== 'string') {
    throw new Error('the request must be {"url": "...", "field": "..."}')
  }
  return { url: parsed.url, field: parsed.field }
}
