import { Command } from 'commander'
import { acceptableTcbStatuses } from '../attestation/TrustPolicy.js'
import { lazyAction } from './lazyAction.js'

/** `teefn attest verify`: verifies a DCAP quote offline against its collateral. */
export function attestCommand(): Command {
  const attest = new Command('attest').description('Work with TEE attestations.')
  attest
    .command('verify')
    .description('Verify a TDX/SGX DCAP quote offline against its collateral (@phala/dcap-qvl).')
    .requiredOption('--quote <file>', 'the raw quote (binary, or hex text)')
    .option('--collateral <file>', 'its collateral JSON (from a PCCS); not needed for a dev attestation')
    .option('--at <iso time>', 'verify as of this time instead of now (e.g. 2025-07-01T00:00:00Z)')
    .option('--report-data <hex>', 'the 64 bytes report_data must hold')
    .option(
      '--allow-status <status...>',
      `TCB statuses to accept (default UpToDate; one of ${acceptableTcbStatuses.join(', ')})`,
    )
    .option('--mrtd <hex>', 'pin MRTD (TDX)')
    .option('--rtmr0 <hex>', 'pin RTMR0 (TDX)')
    .option('--rtmr1 <hex>', 'pin RTMR1 (TDX)')
    .option('--rtmr2 <hex>', 'pin RTMR2 (TDX)')
    .option('--rtmr3 <hex>', 'pin RTMR3 (TDX)')
    .option('--mrenclave <hex>', 'pin MRENCLAVE (SGX)')
    .option('--mrsigner <hex>', 'pin MRSIGNER (SGX)')
    .option('--allow-dev', 'accept a dev attestation (development only)')
    .option('--json', 'print one JSON object')
    .action(lazyAction(async () => (await import('../commands/attest.js')).attestVerifyAction))
  return attest
}
