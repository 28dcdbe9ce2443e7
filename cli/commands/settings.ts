import { signFunctionSettings } from '../../runtime/enclave/ownerRecords.js'
import { UsageError } from '../UsageError.js'
import { callApi } from './apiClient.js'
import { readOwnerKey } from './ownerKey.js'
import {
  type OwnerRecordMetadata,
  type OwnerRecordOptions,
  printOwnerRecord,
  resolveOwnerRecord,
} from './ownerRecordOptions.js'

type PutOptions = OwnerRecordOptions & { httpSecrets: string }

/** `teefn settings put`: a function's settings, signed by its on-chain owner (EIP-712 FunctionSettings). */
export async function settingsPutAction(options: PutOptions): Promise<void> {
  if (options.httpSecrets !== 'true' && options.httpSecrets !== 'false') {
    throw new UsageError(`--http-secrets must be true or false, got ${options.httpSecrets.slice(0, 20)}`)
  }
  const { scope, version, server } = resolveOwnerRecord(options)
  const owner = await readOwnerKey(options)
  const record = await signFunctionSettings(owner, {
    scope,
    httpSecrets: options.httpSecrets === 'true',
    version,
  })
  const { body } = await callApi<OwnerRecordMetadata>({
    server,
    method: 'PUT',
    path: '/v1/settings',
    json: record,
  })
  printOwnerRecord({ what: 'settings', verb: 'stored', body, server, json: options.json })
}
