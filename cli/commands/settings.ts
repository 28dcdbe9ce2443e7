import { Command } from 'commander'
import { signFunctionSettings } from '../../runtime/enclave/ownerRecords.js'
import { UsageError } from '../UsageError.js'
import { callApi } from './apiClient.js'
import { readOwnerKey } from './ownerKey.js'
import {
  addOwnerRecordOptions,
  type OwnerRecordMetadata,
  type OwnerRecordOptions,
  printOwnerRecord,
  resolveOwnerRecord,
} from './ownerRecordOptions.js'

type PutOptions = OwnerRecordOptions & { httpSecrets: string }

/** `teefn settings put`: a function's settings, signed by its on-chain owner (EIP-712 FunctionSettings). */
export function settingsCommand(): Command {
  const settings = new Command('settings').description("Store a function's owner-signed settings.")
  const put = settings
    .command('put')
    .description(
      'Sign the settings with the owner key (EIP-712 FunctionSettings) and store them (PUT /v1/settings). Nothing is encrypted, so no attestation is needed: the worker checks the signature against the owner it reads on chain.',
    )
    .requiredOption(
      '--http-secrets <true|false>',
      'whether HTTP invocations naming this function get its secrets and deriveSecret (callers choose their input)',
    )
  addOwnerRecordOptions(put).action(async (options: PutOptions) => {
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
  })
  return settings
}
