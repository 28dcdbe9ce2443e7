/** `npm run demo:quorum`: runs `runQuorumDemo` and exits 0 when every step held, 1 otherwise. */
import { runQuorumDemo } from './runQuorumDemo.js'

try {
  await runQuorumDemo()
  process.exit(0)
} catch (error) {
  // BaseError's message carries its details and hint.
  process.stderr.write(`\n✗ ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
