/**
 * A commander action that imports the command's implementation only when the command runs: `teefn --help`,
 * `teefn <command> --help` and every other command load none of its modules (ethers, esbuild, fastify, ...).
 *
 * @example
 * command.action(lazyAction(async () => (await import('../commands/build.js')).buildAction))
 */
export function lazyAction<Args extends unknown[]>(
  load: () => Promise<(...args: Args) => Promise<void> | void>,
): (...args: Args) => Promise<void> {
  return async (...args) => {
    const action = await load()
    await action(...args)
  }
}
