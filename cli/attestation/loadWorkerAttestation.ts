import { callApi, resolveServerUrl } from '../commands/apiClient.js'
import { readInputFile } from '../readInputFile.js'
import { UsageError } from '../UsageError.js'

/**
 * What a teefn server serves at `/v1/attestation` (untrusted until `checkWorkerAttestation`), from `source`:
 * an `http(s)://` server URL, or a file holding that JSON (`-` for stdin).
 */
export async function loadWorkerAttestation(source: string): Promise<unknown> {
  if (/^https?:\/\//i.test(source)) {
    const server = resolveServerUrl(source.replace(/\/v1\/attestation\/?$/, ''))
    return (await callApi<unknown>({ server, path: '/v1/attestation' })).body
  }
  const text = (await readInputFile(source, 'attestation')).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(
      `the attestation file ${source} is not JSON`,
      'save what GET /v1/attestation serves, or pass the server URL',
    )
  }
}
