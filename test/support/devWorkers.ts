import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { type Hex, utf8 } from '../../runtime/bytes.js'
import { createDevProvider } from '../../runtime/enclave/devProvider.js'
import { type Envelope, payloadHashOf } from '../../runtime/enclave/envelope.js'
import { type SignEnvelopeParameters, signEnvelope } from '../../runtime/enclave/signEnvelope.js'
import type { TeeProvider } from '../../runtime/enclave/TeeProvider.js'

/**
 * Dev worker keys (each its own key file in a temporary directory), made before the file's tests and removed
 * after: the object is filled in `beforeAll`, by name.
 */
export function useDevWorkers<Name extends string>(...names: Name[]): Record<Name, TeeProvider> {
  const workers = {} as Record<Name, TeeProvider>
  let dir: string | undefined
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'teefn-dev-workers-'))
    for (const name of names) workers[name] = await createDevProvider({ keyFile: join(dir, `${name}.json`) })
  })
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  return workers
}

export type SignTestEnvelopeParameters = Partial<Omit<SignEnvelopeParameters, 'result'>> & {
  requestId: Hex
  /** The result as text; `3001` by default. */
  result?: string | undefined
}

/**
 * An envelope `worker` signs for tests of the quorum exchange: EVM chain 31337 unless said otherwise, one fixed
 * function, payload and code, status OK.
 */
export function signTestEnvelope(
  worker: TeeProvider,
  { result = '3001', ...fields }: SignTestEnvelopeParameters,
): Promise<Envelope> {
  return signEnvelope(worker, {
    family: 'evm',
    chainId: 31337,
    destination: `0x${'11'.repeat(20)}`,
    functionId: `0x${'02'.repeat(32)}`,
    payloadHash: payloadHashOf(utf8('q')),
    codeHash: `0x${'03'.repeat(32)}`,
    status: 'OK',
    ...fields,
    result: utf8(result),
  })
}
