/** The platforms `teefn migrate --from` knows. */
export type Peer = 'chainlink' | 'phat' | 'gelato' | 'lit'

export const peers: readonly Peer[] = ['chainlink', 'phat', 'gelato', 'lit']

/** What happens to a use of a peer's API under teefn's compat mode. */
export type Verdict = 'carries' | 'changes' | 'unsupported'

/**
 * One API of a peer, as a source names it: `path` is a member chain (`Functions.makeHttpRequest`), matched as the
 * end of a longer chain too (`context.storage.get` matches `storage.get`); `global` a free identifier (`args`);
 * `import` a module specifier, `npm:` and `node:` as prefixes.
 */
export type PeerApi = { verdict: Verdict; note: string } & (
  | { path: string }
  | { global: string }
  | { import: string }
)

const denoOnly: PeerApi[] = [
  {
    import: 'npm:',
    verdict: 'unsupported',
    note: 'Deno `npm:` specifiers: add the package to package.json and import it by name; esbuild bundles it.',
  },
  {
    global: 'Deno',
    verdict: 'unsupported',
    note: 'Deno APIs do not exist in the QuickJS sandbox: use fetch, crypto.getRandomValues, TextEncoder.',
  },
]

/** What each peer's sources use, and what becomes of it under `--compat <peer>`. */
export const peerApis: Record<Peer, PeerApi[]> = {
  chainlink: [
    {
      path: 'Functions.makeHttpRequest',
      verdict: 'carries',
      note: "Same call and answer shape; Chainlink's limits by default (5 requests, 9 s each, 2 MB responses).",
    },
    { path: 'Functions.encodeUint256', verdict: 'carries', note: 'Same bytes.' },
    { path: 'Functions.encodeInt256', verdict: 'carries', note: 'Same bytes.' },
    { path: 'Functions.encodeString', verdict: 'carries', note: 'Same bytes.' },
    {
      global: 'args',
      verdict: 'carries',
      note: 'From the CBOR request (through TeefnFunctionsRouter), or `{ "args": [...] }` over HTTP and `--args`.',
    },
    { global: 'bytesArgs', verdict: 'carries', note: 'As `args`; `--bytes-args` on the command line.' },
    {
      global: 'secrets',
      verdict: 'changes',
      note: 'DON-hosted and remote threshold-encrypted secrets are not read: put the same names with `teefn secrets put` (owner-signed, encrypted to the workers, scoped to the function).',
    },
    ...denoOnly,
  ],
  phat: [
    { import: '@phala/pink-env', verdict: 'carries', note: "Resolves to teefn's shim; no package needed." },
    {
      path: 'pink.httpRequest',
      verdict: 'carries',
      note: "Synchronous, Phat's response shape; through teefn's network policy (private addresses refused).",
    },
    {
      path: 'pink.batchHttpRequest',
      verdict: 'carries',
      note: "Synchronous; Phat's limit of 5 requests per batch and its timeout.",
    },
    {
      path: 'pink.deriveSecret',
      verdict: 'changes',
      note: "Deterministic per function, like Phat's, but from teefn's enclave keys: the values differ from Phala's.",
    },
    {
      path: 'pink.vrf',
      verdict: 'changes',
      note: 'As deriveSecret: deterministic, other values than on Phala.',
    },
    { path: 'pink.hash', verdict: 'carries', note: 'Same algorithms and digests.' },
    { global: 'scriptArgs', verdict: 'carries', note: '[request as 0x-hex, secrets string].' },
    {
      path: 'pink.invokeContract',
      verdict: 'unsupported',
      note: 'There are no ink! contracts to call: read chains over HTTP JSON-RPC with pink.httpRequest.',
    },
    {
      path: 'pink.invokeContractDelegate',
      verdict: 'unsupported',
      note: 'There are no ink! contracts to call.',
    },
  ],
  gelato: [
    {
      import: '@gelatonetwork/web3-functions-sdk',
      verdict: 'carries',
      note: "Resolves to teefn's shim; no package needed.",
    },
    { path: 'Web3Function.onRun', verdict: 'carries', note: 'The handler runs once per request.' },
    {
      path: 'Web3Function.onSuccess',
      verdict: 'unsupported',
      note: "Registered but never called: teefn's executor does not call back.",
    },
    {
      path: 'Web3Function.onFail',
      verdict: 'unsupported',
      note: "Registered but never called: teefn's executor does not call back.",
    },
    {
      path: 'userArgs',
      verdict: 'carries',
      note: '`--user-args` on the command line; the request on the worker path.',
    },
    {
      path: 'secrets.get',
      verdict: 'changes',
      note: 'Put the secrets with `teefn secrets put` (owner-signed, scoped to the function).',
    },
    { path: 'storage.get', verdict: 'carries', note: 'Same calls; `--storage <file>` on the command line.' },
    { path: 'storage.set', verdict: 'carries', note: 'Same calls; `--storage <file>` on the command line.' },
    { path: 'storage.delete', verdict: 'carries', note: 'Same calls.' },
    { path: 'storage.getKeys', verdict: 'carries', note: 'Same calls.' },
    { path: 'storage.getSize', verdict: 'carries', note: 'Same calls.' },
    {
      path: 'multiChainProvider.default',
      verdict: 'changes',
      note: 'An ethers v5-compatible JSON-RPC provider over the sandbox fetch: give it an RPC URL (`--rpc`).',
    },
    {
      path: 'multiChainProvider.chainId',
      verdict: 'changes',
      note: 'As `default()`: RPC URLs are given, not looked up.',
    },
    { path: 'gelatoArgs', verdict: 'carries', note: '`chainId` and `gasPrice`.' },
    ...denoOnly,
  ],
  lit: [
    { path: 'Actions.setResponse', verdict: 'carries', note: 'Its string is the signed result.' },
    {
      path: 'Actions.signEcdsa',
      verdict: 'changes',
      note: 'Signs with a key derived for this function inside the enclave, not your PKP: consumers must trust the new public key.',
    },
    {
      path: 'Actions.getPrivateKey',
      verdict: 'changes',
      note: "A key derived for this function inside the enclave: a different key than Lit's.",
    },
    { path: 'Actions.runOnce', verdict: 'carries', note: 'One node runs it: the callback runs once.' },
    {
      path: 'Actions.decryptAndCombine',
      verdict: 'unsupported',
      note: 'No threshold decryption: store the plaintext as a teefn secret (`teefn secrets put`).',
    },
    {
      path: 'Actions.decryptToSingleNode',
      verdict: 'unsupported',
      note: 'No threshold decryption: store the plaintext as a teefn secret.',
    },
    {
      path: 'Actions.checkConditions',
      verdict: 'unsupported',
      note: 'No access-control conditions: check the caller in the function, or on chain in the consumer.',
    },
    {
      path: 'Actions.claimKey',
      verdict: 'unsupported',
      note: 'No key claiming: derive per-function keys with deriveSecret.',
    },
    {
      path: 'Actions.getLitActionPrivateKey',
      verdict: 'changes',
      note: "A key derived for this function inside the enclave: a different key than Lit's.",
    },
    {
      path: 'Actions.ethPersonalSignMessageEcdsa',
      verdict: 'changes',
      note: 'As signEcdsa: signed with a key derived for this function, not your PKP.',
    },
    {
      path: 'Actions.getRpcUrl',
      verdict: 'unsupported',
      note: 'Pass RPC URLs in jsParams; the function fetches them like any URL.',
    },
    { global: 'ethers', verdict: 'carries', note: 'ethers v5, bundled into the function.' },
    {
      global: 'jsParams',
      verdict: 'carries',
      note: '`--js-params` on the command line; the request on the worker path.',
    },
  ],
}
