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
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
  try {
    const response = await fetch(url, { signal: abort.signal, redirect: 'error' })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    // Read as it arrives and stop at the bound: a body is never held whole before it is measured.
    const chunks: Uint8Array[] = []
    let size = 0
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength
      if (size > maxBytes) {
        abort.abort()
        throw new Error(`the attestation exceeds ${maxBytes} bytes`)
      }
      chunks.push(chunk)
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } finally {
    clearTimeout(timer)
  }
}
