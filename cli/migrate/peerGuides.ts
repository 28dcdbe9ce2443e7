import type { Peer } from './peerApis.js'

/** What `teefn migrate` says of a peer besides its APIs: the contract side, the limits, the commands to try. */
export type PeerGuide = {
  onChain: string
  limits: string
  next: (file: string) => string[]
}

export const peerGuides: Record<Peer, PeerGuide> = {
  chainlink: {
    onChain:
      "A consumer that inherits FunctionsClient keeps its code: deploy it with the address of a TeefnFunctionsRouter instead of Chainlink's router, and as its donId the functionId under which you registered teefn's request runner (`teefn chain register --chainlink-router`). subscriptionId is logged, not billed. The router calls handleOracleFulfillment only after it verified the workers' envelope.",
    limits:
      "Chainlink's own by default: 10 s, 5 HTTP requests of at most 9 s and 2 MB each, a 256-byte result (raise with --result-bytes, up to the operator's maximum).",
    next: (file) => [
      `teefn run ${file} --compat chainlink --args '["..."]' --mock mocks.json --json`,
      'teefn chain deploy-consumer --contract TeefnFunctionsRouter --registry <address> --key owner.key',
      'teefn chain register --chainlink-router --name my-functions --registry <address> --server <node url> --key owner.key',
      'teefn secrets put --secrets @secrets.json --function-id <functionId> --registry <address> --chain-id <id> --key owner.key',
    ],
  },
  phat: {
    onChain:
      "A PhatRollupAnchor consumer keeps its code: deploy TeefnPhatAttestor for it and call setAttestor(<attestor address>); teefn nodes relay its queued messages and the attestor submits the replies in the anchor's format after it verified the envelope.",
    limits: "Phat's by default: 10 s, at most 5 requests per batch; synchronous HTTP as on Phala.",
    next: (file) => [
      `teefn run ${file} --compat phat --request 0x... --mock mocks.json --json`,
      `teefn chain register ${file} --compat phat --registry <address> --server <node url>`,
    ],
  },
  gelato: {
    onChain:
      "Gelato's executors are gone: deploy TeefnGelatoExecutor, create the task there, and let your target contracts accept calls from the executor's address (Gelato's dedicated msg.sender). It performs callData only after it verified the envelope.",
    limits:
      "Gelato's free plan by default: 5 s and 5 RPC calls per run; storage up to 255 KiB (Gelato's 1 MB is more than teefn carries back beside a result).",
    next: (file) => [
      `teefn run ${file} --compat gelato --user-args '{...}' --storage storage.json --mock mocks.json --json`,
      `teefn chain register ${file} --compat gelato --registry <address> --server <node url>`,
    ],
  },
  lit: {
    onChain:
      'Signatures come from a key derived for the function inside the TEE, not from your PKP: contracts that check a PKP address must be pointed at the new one (print it with a run of the action).',
    limits:
      "Lit's limits (30 s, 128 MB, 50 fetches, 1 MB responses) are all above teefn's plain defaults, which apply (10 s, 64 MiB, 16 fetches, a 64 KiB result): raise them with --timeout, --memory, --max-fetches, --result-bytes.",
    next: (file) => [
      `teefn run ${file} --compat lit --js-params '{...}' --mock mocks.json --json`,
      `teefn chain register ${file} --compat lit --registry <address> --server <node url>`,
    ],
  },
}
