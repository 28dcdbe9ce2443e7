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
      "A consumer that inherits FunctionsClient keeps its code: deploy it with the address of TeefnFunctionsRouter instead of the Chainlink router, and the teefn functionId of your runner as its donId. subscriptionId is recorded, not billed. The router calls handleOracleFulfillment only after it verified the workers' envelope.",
    limits:
      "Chainlink's own by default: 10 s, 5 HTTP requests of at most 9 s and 2 MB each, a 256-byte result (raise with --result-bytes, up to the operator's maximum).",
    next: (file) => [
      `teefn run ${file} --compat chainlink --args '["..."]' --mock mocks.json --json`,
      `teefn chain register ${file} --compat chainlink --registry <address> --server <node url>`,
      'teefn secrets put --secrets @secrets.json --function-id <functionId> --registry <address> --chain-id <id>',
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
    limits: "Gelato's by default (its run timeout, request counts and 1 MB storage).",
    next: (file) => [
      `teefn run ${file} --compat gelato --user-args '{...}' --storage storage.json --mock mocks.json --json`,
      `teefn chain register ${file} --compat gelato --registry <address> --server <node url>`,
    ],
  },
  lit: {
    onChain:
      'Signatures come from a key derived for the function inside the TEE, not from your PKP: contracts that check a PKP address must be pointed at the new one (print it with a run of the action).',
    limits: "Lit's by default (its timeout, fetch count and response size).",
    next: (file) => [
      `teefn run ${file} --compat lit --js-params '{...}' --mock mocks.json --json`,
      `teefn chain register ${file} --compat lit --registry <address> --server <node url>`,
    ],
  },
}
