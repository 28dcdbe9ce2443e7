/** A served attestation is a few KiB; more is refused. */
const maxBytes = 256 * 1024

/**
 * What a candidate serves at its `quoteUrl` (`GET /v1/attestation`), parsed; untrusted. Only http(s) URLs, a
 * bounded body and a timeout: the URL comes from anyone who sent `requestAdmission`.
 */
export async function fetchServedAttestation(quoteUrl: string, timeoutMs: number): Promise<unknown> {
  const url = new URL(quoteUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${url.protocol} URLs are not fetched`)
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  const text = await response.text()
  if (text.length > maxBytes) throw new Error(`the attestation exceeds ${maxBytes} bytes`)
  return JSON.parse(text)
}
