import type { Command } from 'commander'
import { acceptableTcbStatuses, trustFileFields } from '../attestation/TrustPolicy.js'

/** Adds the attestation flags shared by `invoke`, `verify` and `secrets put` (`resolveTrustPolicy` reads them). */
export function addTrustOptions(command: Command): Command {
  return command
    .option(
      '--trust <file>',
      `a JSON file with any of ${trustFileFields.join(', ')} (flags given as well win)`,
    )
    .option('--allow-dev', 'accept a dev attestation: no TEE, the operator holds the keys (development only)')
    .option('--collateral <file>', "the DCAP collateral JSON for the worker's quote (from a PCCS)")
    .option(
      '--tcb-status <list>',
      `TCB statuses to accept, comma-separated (default UpToDate; of ${acceptableTcbStatuses.join(', ')})`,
    )
    .option(
      '--measurement <text>',
      "the node's tee.measurement that report_data must bind (default: the one the server names, not pinned)",
    )
    .option('--mrtd <hex>', 'pin MRTD')
    .option('--rtmr0 <hex>', 'pin RTMR0')
    .option('--rtmr1 <hex>', 'pin RTMR1')
    .option('--rtmr2 <hex>', 'pin RTMR2')
    .option('--rtmr3 <hex>', 'pin RTMR3')
    .option('--at <iso time>', 'verify the quote as of this time instead of now (e.g. 2025-07-01T00:00:00Z)')
}
