import { readFile } from 'node:fs/promises'
import Value from 'typebox/value'
import { BaseError } from '../../runtime/errors/BaseError.js'
import { type NodeConfig, NodeConfigSchema } from './nodeConfigSchema.js'

export class ConfigError extends BaseError {
  override name = 'ConfigError'
  constructor(shortMessage: string, parameters: { details?: string; hint?: string }) {
    super(shortMessage, { code: 'CONFIG_INVALID', ...parameters })
  }
}

export type LoadNodeConfigParameters = {
  /** A JSON file; its values may be overridden by the environment. */
  file?: string | undefined
  env?: NodeJS.ProcessEnv | undefined
}

/**
 * Reads `teefn node`'s configuration from a JSON file and the environment (`REDIS_URL` overrides
 * `redisUrl`), validates it, and checks that every `env:NAME` secret it names is set. Every error names
 * the bad field and says what was expected.
 */
export async function loadNodeConfig({
  file,
  env = process.env,
}: LoadNodeConfigParameters): Promise<NodeConfig> {
  let value: Record<string, unknown> = {}
  if (file !== undefined) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new ConfigError(`Cannot read the config file ${file}.`, {
        details: (error as NodeJS.ErrnoException).code ?? String(error),
      })
    }
    try {
      value = JSON.parse(text) as Record<string, unknown>
    } catch (error) {
      throw new ConfigError(`The config file ${file} is not valid JSON.`, {
        details: (error as Error).message,
      })
    }
  }
  if (env.REDIS_URL) value = { ...value, redisUrl: env.REDIS_URL }
  const where = file ?? 'the configuration'
  const [first] = Value.Errors(NodeConfigSchema, value)
  if (first) {
    const field = first.instancePath === '' ? '(top level)' : first.instancePath.slice(1).replaceAll('/', '.')
    // An unknown field fails against `false` (additionalProperties): say so in words.
    const problem = first.keyword === 'boolean' ? 'is not a known field' : first.message
    throw new ConfigError(`${where}: ${field} ${problem}.`, {
      details:
        first.params && Object.keys(first.params).length > 0 ? JSON.stringify(first.params) : undefined,
      hint: 'See the `teefn node` section of the README for every field.',
    })
  }
  const config = value as NodeConfig
  for (const [field, reference] of secretReferences(config)) {
    const name = reference.slice('env:'.length)
    if (!env[name]) {
      throw new ConfigError(`${where}: ${field} names the environment variable ${name}, which is not set.`, {
        hint: `Export ${name} before starting the node.`,
      })
    }
  }
  return config
}

/** The value of an `env:NAME` reference. */
export function resolveSecret(reference: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[reference.slice('env:'.length)] ?? ''
}

function secretReferences(config: NodeConfig): [string, string][] {
  const references: [string, string][] = []
  if (config.server?.apiKeys) references.push(['server.apiKeys', config.server.apiKeys])
  for (const [index, chain] of (config.evm ?? []).entries()) {
    references.push([`evm.${index}.submitterKey`, chain.submitterKey])
  }
  for (const [index, chain] of (config.substrate ?? []).entries()) {
    references.push([`substrate.${index}.submitterUri`, chain.submitterUri])
  }
  return references
}
