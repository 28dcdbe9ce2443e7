import { Command } from 'commander'
import { lazyAction } from './lazyAction.js'
import { addOwnerRecordOptions } from './ownerRecordOptions.js'

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
  addOwnerRecordOptions(put).action(
    lazyAction(async () => (await import('../commands/settings.js')).settingsPutAction),
  )
  return settings
}
