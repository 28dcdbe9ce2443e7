import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type CreateSelfSignedCertificateReturnType = {
  /** PEM certificate; also the CA to trust, since it signs itself. */
  cert: string
  /** PEM private key. */
  key: string
}

/** Makes a real self-signed certificate for `hostname` with the system `openssl`, for TLS tests. */
export function createSelfSignedCertificate(hostname: string): CreateSelfSignedCertificateReturnType {
  const directory = mkdtempSync(join(tmpdir(), 'teefn-cert-'))
  try {
    const keyPath = join(directory, 'key.pem')
    const certPath = join(directory, 'cert.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${hostname}`,
        '-addext',
        `subjectAltName=DNS:${hostname}`,
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ],
      { stdio: 'ignore' },
    )
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
