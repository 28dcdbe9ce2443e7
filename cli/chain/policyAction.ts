import {
  type ChainOptions,
  openChain,
  parseAddress,
  parseBytes32,
  printChainOutcome,
} from './chainOptions.js'
import { callRegistry } from './functionActions.js'
import { aggregationIndex, parseThreshold } from './resultPolicy.js'

export type PolicyOptions = ChainOptions & { registry: string; k: string; aggregation: string }

/**
 * `teefn chain policy <functionId> --k <n> --aggregation <how>` (the function's owner): how many distinct
 * active workers must agree on an answer and how their answers combine (`setResultPolicy`). Prints the
 * functionId.
 */
export async function policyAction(functionIdArgument: string, options: PolicyOptions): Promise<void> {
  const functionId = parseBytes32(functionIdArgument, 'the functionId')
  const registry = parseAddress(options.registry, '--registry')
  const k = parseThreshold(options.k, '--k')
  const aggregation = aggregationIndex(options.aggregation)
  const chain = await openChain('policy', options)
  try {
    const outcome = await callRegistry(chain, options, registry, 'setResultPolicy', [
      functionId,
      k,
      aggregation,
    ])
    printChainOutcome({
      outcome,
      json: options.json,
      result: { functionId, threshold: k, aggregation: options.aggregation, registry },
      value: functionId,
      summary: `${functionId} now needs ${k} worker${k === 1 ? '' : 's'} to agree (${options.aggregation})`,
    })
  } finally {
    chain.close()
  }
}
