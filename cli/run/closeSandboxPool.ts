import type { SandboxPool } from '../../runtime/sandbox/index.js'

/** Closes a pool that may never have started (then whoever awaited it has reported why). */
export async function closeSandboxPool(pool: Promise<SandboxPool>): Promise<void> {
  try {
    await (await pool).close()
  } catch {
    // It never started: nothing to close.
  }
}
