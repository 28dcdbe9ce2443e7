import { readFile } from 'node:fs/promises'
import Value from 'typebox/value'
import { resolveRetention } from '../../runtime/queue/jobOptions.js'
import { defaultLimits, defaultMaximumLimits, type SandboxLimits } from '../../runtime/sandbox/limits.js'
import { ConfigError } from './ConfigError.js'
import { checkRpcQuorums } from './checkRpcQuorums.js'
import { checkSubstrateQuorums } from './checkSubstrateQuorums.js'
import { type NodeConfig, NodeConfigSchema, nodeRoles } from './nodeConfigSchema.js'
import { servesChains } from './workerLanesOf.js'

export type LoadNodeConfigParameters = {
  /** A JSON file; its values may be overridden by the environment. */
  file?: string | undefined
  env?: NodeJS.ProcessEnv | undefined
  /** Command-line flags (`teefn node --role --port`), over the file, validated with it. */
  overrides?: { roles?: readonly string[] | undefined; port?: number | undefined } | undefined
}

/**
 * Reads `teefn node`'s configuration from a JSON file and the environment (`REDIS_URL` overrides
 * `redisUrl`), validates it, and checks that every `env:NAME` secret it names is set. Every error names
 * the bad field and says what was expected.
 */
export async function loadNodeConfig({
  file,
  env = process.env,
  overrides = {},
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
  if (overrides.roles) value = { ...value, roles: overrides.roles }
  if (overrides.port !== undefined) {
    // The port of this process's listener: the API's, or the health-and-metrics one of a process without it.
    const roles = (value.roles as readonly string[] | undefined) ?? nodeRoles
    const listener = roles.includes('api')
      ? 'server'
      : roles.every((role) => role === 'gatekeeper')
        ? 'gatekeeper'
        : 'ops'
    value = { ...value, [listener]: { ...(value[listener] as object | undefined), port: overrides.port } }
  }
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
  checkRedis(config, where)
  checkRpcQuorums(config, where)
  checkConsumerLists(config, where)
  checkSubstrateQuorums(config, where)
  checkServer(config, where)
  checkWorkerLanes(config, where)
  checkGatekeeper(config, where, env)
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

/** Every role but a gatekeeper's works through Redis (queues, the function store). */
function checkRedis(config: NodeConfig, where: string): void {
  const roles = config.roles ?? nodeRoles
  if (config.redisUrl !== undefined || roles.every((role) => role === 'gatekeeper')) return
  throw new ConfigError(`${where}: redisUrl is missing.`, {
    details: `the roles ${roles.join(', ')} keep their queues and functions in Redis`,
    hint: 'Add "redisUrl": "redis://host:6379" to the config, or set REDIS_URL.',
  })
}

/** A consumer both allowed and denied is a mistake either way: say which entry. Phat relays need a key. */
function checkConsumerLists(config: NodeConfig, where: string): void {
  for (const [index, chain] of (config.evm ?? []).entries()) {
    if (chain.phatAttestors && !chain.submitterKey) {
      throw new ConfigError(`${where}: evm.${index}.phatAttestors needs evm.${index}.submitterKey.`, {
        hint: `Relaying a Phat anchor's messages is a transaction (relay) paid by the submitter key; set evm.${index}.submitterKey or remove evm.${index}.phatAttestors.`,
      })
    }
    const allowed = new Set((chain.consumers ?? []).map((address) => address.toLowerCase()))
    for (const [position, address] of (chain.denyConsumers ?? []).entries()) {
      if (!allowed.has(address.toLowerCase())) continue
      throw new ConfigError(
        `${where}: evm.${index}.denyConsumers.${position} (${address}) is also in evm.${index}.consumers.`,
        {
          hint: `Remove it from one list: evm.${index}.consumers is an allow-list (left out: every registered consumer), evm.${index}.denyConsumers is never served.`,
        },
      )
    }
  }
}

/** The longest an invocation may make its caller wait (`server/plugins/invoke.ts`, `invoke.maxWaitMs`). */
const maxInvokeWaitMs = 120_000

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/**
 * Settings that are each valid but wrong together: a public API without the URL signatures name, limits the
 * sandbox would refuse or Redis would not keep, timeouts that would cut off a waiting invocation.
 */
function checkServer(config: NodeConfig, where: string): void {
  const server = config.server ?? {}
  const fail = (field: string, problem: string, hint: string) => {
    throw new ConfigError(`${where}: ${field} ${problem}`, { hint })
  }
  const servesApi = (config.roles ?? nodeRoles).includes('api')
  if (servesApi && server.host !== undefined && !loopbackHosts.has(server.host) && !server.publicUrl) {
    fail(
      'server.publicUrl',
      `must be set when server.host is ${server.host}: owner signatures name the URL callers reach the node at.`,
      'Set it to the public URL of the API (the proxy in front of it, if any), e.g. "https://teefn.example.com".',
    )
  }
  if (server.publicUrl) {
    try {
      new URL(server.publicUrl)
    } catch {
      fail('server.publicUrl', 'is not a URL.', 'e.g. "https://teefn.example.com".')
    }
  }
  const retention = resolveRetention(config.retention)
  const maximum = server.maximumLimits ?? {}
  for (const field of Object.keys(maximum) as (keyof SandboxLimits)[]) {
    const value = maximum[field]
    if (value !== undefined && value < defaultLimits[field]) {
      fail(
        `server.maximumLimits.${field}`,
        `is ${value}, below the default every call gets (${defaultLimits[field]}).`,
        `Raise it to at least ${defaultLimits[field]}, or leave it out (${defaultMaximumLimits[field]}).`,
      )
    }
  }
  for (const field of ['resultBytes', 'logBytes'] as const) {
    const value = maximum[field]
    if (value !== undefined && value > retention[field]) {
      fail(
        `server.maximumLimits.${field}`,
        `is ${value}, more than a job keeps (retention.${field}, ${retention[field]}): no caller could get it back.`,
        `Lower it, or raise retention.${field} (each job then takes more of Redis).`,
      )
    }
  }
  const timeouts = server.timeouts ?? {}
  const headersMs = timeouts.headersMs ?? 10_000
  if (timeouts.requestMs !== undefined && timeouts.requestMs < headersMs) {
    fail(
      'server.timeouts.requestMs',
      `is ${timeouts.requestMs}, shorter than server.timeouts.headersMs (${headersMs}).`,
      'The whole request includes its headers: make it at least as long.',
    )
  }
  if (timeouts.idleMs !== undefined && timeouts.idleMs <= maxInvokeWaitMs) {
    fail(
      'server.timeouts.idleMs',
      `is ${timeouts.idleMs}: an invocation may wait ${maxInvokeWaitMs} ms for its result on a silent socket.`,
      `Make it more than ${maxInvokeWaitMs} (default ${maxInvokeWaitMs + 15_000}).`,
    )
  }
}

/**
 * The HTTP lane's share of the worker, each at most the whole; on a node that serves a chain, less than the whole
 * (unless the whole is 1): with all of it, HTTP invocations could again hold every slot or sandbox thread a chain
 * request needs.
 */
function checkWorkerLanes(config: NodeConfig, where: string): void {
  const worker = config.worker ?? {}
  const keep = servesChains(config)
  const shares = [
    ['httpThreads', worker.httpThreads, 'threads', worker.threads],
    ['httpConcurrency', worker.httpConcurrency, 'concurrency', worker.concurrency ?? worker.threads],
  ] as const
  for (const [field, share, whole, total] of shares) {
    if (share === undefined || total === undefined) continue
    if (share > total || (keep && share === total && total > 1)) {
      throw new ConfigError(
        `${where}: worker.${field} is ${share}, ${keep ? 'not less than' : 'more than'} worker.${whole} (${total})${keep ? ': chain requests would have none left' : ''}.`,
        {
          hint: `Lower worker.${field} ${keep ? `below ${total} (default ${Math.max(1, total - 1)})` : `to at most ${total}`}, or raise worker.${whole}.`,
        },
      )
    }
  }
}

/**
 * The gatekeeper role needs its section and a chain; `allowDev` is refused in production mode (`NODE_ENV=
 * production`, or a node on dstack): production gatekeepers never admit a worker without a TEE.
 */
function checkGatekeeper(config: NodeConfig, where: string, env: NodeJS.ProcessEnv): void {
  const gatekeeper = config.gatekeeper
  if (config.roles?.includes('gatekeeper') && !gatekeeper) {
    throw new ConfigError(`${where}: the gatekeeper role needs a gatekeeper section.`, {
      hint: 'Add gatekeeper: { key: "env:GATEKEEPER_KEY", peers: [...] }.',
    })
  }
  if (!gatekeeper) return
  if (gatekeeper.allowDev && (env.NODE_ENV === 'production' || config.tee?.provider === 'dstack')) {
    throw new ConfigError(`${where}: gatekeeper.allowDev is refused in production mode.`, {
      details: 'NODE_ENV=production or tee.provider dstack',
      hint: 'A dev attestation has no TEE behind it: only test gatekeepers may admit one.',
    })
  }
  if ((!gatekeeper.rpcUrl || !gatekeeper.registry) && !config.evm?.[0]) {
    throw new ConfigError(
      `${where}: gatekeeper.rpcUrl and gatekeeper.registry are needed without an evm chain.`,
      { hint: 'Name the chain in the gatekeeper section, or add it under evm.' },
    )
  }
}

/** The value of an `env:NAME` reference. */
export function resolveSecret(reference: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[reference.slice('env:'.length)] ?? ''
}

function secretReferences(config: NodeConfig): [string, string][] {
  const references: [string, string][] = []
  if (config.server?.apiKeys) references.push(['server.apiKeys', config.server.apiKeys])
  for (const [index, chain] of (config.evm ?? []).entries()) {
    if (chain.submitterKey) references.push([`evm.${index}.submitterKey`, chain.submitterKey])
  }
  if (config.gatekeeper) references.push(['gatekeeper.key', config.gatekeeper.key])
  for (const [index, chain] of (config.substrate ?? []).entries()) {
    references.push([`substrate.${index}.submitterUri`, chain.submitterUri])
  }
  return references
}
