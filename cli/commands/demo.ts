import { runDemo } from '../../dev/runDemo.js'

/**
 * `teefn demo`: runs `dev/runDemo.ts`. The only command that loads a dev harness (anvil, redis-server), and
 * only when it runs; where anvil is missing it fails with `AnvilNotInstalledError` (exit 1).
 */
export async function demoAction(): Promise<void> {
  await runDemo()
}
