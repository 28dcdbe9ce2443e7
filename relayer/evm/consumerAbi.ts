import type { Abi } from 'viem'
import { loadArtifact } from '../../contracts/loadArtifact.js'

let abi: Abi | undefined

/** The `TeefnConsumer` ABI every consumer shares (functions, events, custom errors), read once. */
export function consumerAbi(): Abi {
  abi ??= loadArtifact('TeefnConsumer').abi as Abi
  return abi
}
