/**
 * Gas of `fulfillQuorum` for k = 1, 2, 3 and 5 signers (see `measureQuorumGas`). Prints JSON.
 * Run: `npx tsx bench/quorumGas.ts`.
 */
import { measureQuorumGas } from './quorumGasSupport.js'
import { report } from './support.js'

report({ ...(await measureQuorumGas()) })
