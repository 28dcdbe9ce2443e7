import { Command, Option } from 'commander'
import { lazyAction } from './lazyAction.js'
import { addTrustOptions } from './trustOptions.js'

const load = () => import('../commands/chain.js')

/** Adds the flags every `teefn chain` subcommand takes. */
function addChainOptions(command: Command, { sends = true } = {}): Command {
  command.option(
    '--rpc <url>',
    'the EVM JSON-RPC endpoint (default: TEEFN_RPC_URL, else http://127.0.0.1:8545)',
  )
  if (sends) {
    command
      .option(
        '--key <file|env:NAME>',
        "a file holding the sender's private key (0x-hex), or env:NAME for an environment variable (never printed)",
      )
      .option('--dry-run', 'print what would be sent (to, function, args, estimated gas) and send nothing')
  }
  return command.option('--json', 'print one JSON object')
}

/**
 * `teefn chain deploy-registry|deploy-consumer|register|upgrade|lock|policy|admit|show|...`: the on-chain side of
 * teefn (the registry's functions, workers and gatekeepers, and consumers) from the command line.
 */
export function chainCommand(): Command {
  const chain = new Command('chain').description(
    'Deploy the registry and consumers, register functions and admit workers on an EVM chain.',
  )
  addChainOptions(
    chain
      .command('deploy-registry')
      .description('Deploy a TeefnRegistry and print its address.')
      .option('--admin <address>', 'the registry admin, who admits workers (default: the sender)'),
  ).action(lazyAction(async () => (await load()).deployRegistryAction))

  addChainOptions(
    chain
      .command('deploy-consumer')
      .description(
        'Deploy a consumer wired to the registry and print its address: a Solidity file of your project (compiled with solc; teefn/... imports resolve from the installed teefn), the example PriceOracle, a contract teefn compiled (contracts/artifacts), or an artifact file. Constructor parameters named registry, functionId, hookGasLimit, requestTimeout and owner come from the flags; the rest from [args...] in order.',
      )
      .argument(
        '[args...]',
        'a .sol file to compile and deploy (first), then the constructor parameters no flag fills, in order',
      )
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .option(
        '--contract <name|file.json>',
        'PriceOracle (default), a contract name, or a compiled artifact JSON',
      )
      .option(
        '--contract-name <name>',
        'the contract to deploy from the .sol file (default: the one named like the file)',
      )
      .option('--function-id <bytes32>', 'the functionId the consumer requests (PriceOracle needs it)')
      .option('--hook-gas-limit <gas>', 'gas for the result hook (default 200000)')
      .option('--request-timeout <seconds>', 'seconds a request may be answered (default 3600)')
      .option('--owner <address>', 'the consumer owner (default: the sender)'),
  ).action(lazyAction(async () => (await load()).deployConsumerAction))

  addChainOptions(
    chain
      .command('register')
      .description(
        "Register a function's codeHash (as teefn build computes it) under a functionId, owned by the sender, and print the functionId.",
      )
      .argument('[entry]', 'the function: an entry (.ts, .js) or a bundle teefn build wrote')
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .option(
        '--chainlink-router',
        "instead of an entry, teefn's Chainlink Functions request runner: the function TeefnFunctionsRouter requests run (its functionId is the donId your consumers send; needs --name or --function-id)",
      )
      .option('--function-id <bytes32>', 'the functionId to register (0x + 64 hex digits)')
      .option('--name <text>', "the functionId is keccak256 of this name (default: the entry's name)")
      .option('--minify', 'minify the bundle (as teefn build --minify)')
      .addOption(compatOption())
      .option(
        '--server <url>',
        'also upload the bundle to this teefn node first, signed by the sender (as teefn deploy --key)',
      ),
  ).action(lazyAction(async () => (await load()).registerAction))

  addChainOptions(
    chain
      .command('upgrade')
      .description(
        "Point a function you own at the entry's codeHash (pending requests then need the new code).",
      )
      .argument('[entry]', 'the function: an entry (.ts, .js) or a bundle teefn build wrote')
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .requiredOption('--function-id <bytes32>', 'the functionId (0x + 64 hex digits)')
      .option('--chainlink-router', "instead of an entry, this teefn's Chainlink Functions request runner")
      .option('--minify', 'minify the bundle (as teefn build --minify)')
      .addOption(compatOption()),
  ).action(lazyAction(async () => (await load()).upgradeAction))

  addChainOptions(
    chain
      .command('lock')
      .description("Freeze a function's codeHash for good (there is no unlock).")
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .requiredOption('--function-id <bytes32>', 'the functionId (0x + 64 hex digits)'),
  ).action(lazyAction(async () => (await load()).lockAction))

  const admit = chain
    .command('admit')
    .description(
      "Admit a node's worker (registry admin): fetch its attestation from --server, verify it as teefn invoke does, and send admitWorker(worker, keccak256(quote), expiresAt).",
    )
    .requiredOption('--registry <address>', 'the TeefnRegistry address')
    .option('--server <url>', 'the teefn node (default: TEEFN_SERVER, else http://127.0.0.1:8787)')
    .option('--expires-in <duration>', 'how long the admission lasts: 30d, 12h, 90m, 45s', '30d')
  addTrustOptions(addChainOptions(admit)).action(lazyAction(async () => (await load()).admitAction))

  addChainOptions(
    chain
      .command('policy')
      .description(
        "Set a function's result policy (its owner): how many distinct active workers must agree on an answer, and how their answers combine.",
      )
      .argument('<functionId>', 'the functionId (0x + 64 hex digits)')
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .requiredOption('--k <n>', 'how many distinct active workers must agree (1 to 32)')
      .addOption(
        new Option('--aggregation <how>', 'how answers combine: identical bytes, or the median of integers')
          .choices(['identical', 'median-uint256', 'median-int256'])
          .makeOptionMandatory(),
      ),
  ).action(lazyAction(async () => (await load()).policyAction))

  addChainOptions(
    chain
      .command('gatekeepers')
      .description(
        'Show who may change the registry: its admin, the gatekeeper set and threshold, the governance nonce and the pinned measurements.',
      )
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .option('--from-block <n>', 'read measurement pins from this block on (default 0)'),
    { sends: false },
  ).action(lazyAction(async () => (await load()).gatekeepersAction))

  addChainOptions(
    chain
      .command('set-gatekeepers')
      .description('Replace the gatekeeper set and its threshold (registry admin).')
      .argument('<address...>', "the gatekeepers' EVM addresses (any order)")
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .requiredOption('--threshold <k>', 'how many gatekeepers must sign a statement'),
  ).action(lazyAction(async () => (await load()).setGatekeepersAction))

  addChainOptions(
    chain
      .command('pin-measurement')
      .description(
        'Pin (or --unpin) a runtime measurement that gatekeeper admissions may name (registry admin).',
      )
      .argument('<measurement>', 'the measurement (0x + 64 hex digits)')
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .option('--unpin', 'unpin it instead'),
  ).action(lazyAction(async () => (await load()).pinMeasurementAction))

  addChainOptions(
    chain
      .command('renounce-admin')
      .description(
        'Give up the admin role for good (registry admin): only the gatekeeper quorum changes the registry afterwards. Refused while no gatekeeper set is configured.',
      )
      .requiredOption('--registry <address>', 'the TeefnRegistry address')
      .option('--yes', 'confirm: this cannot be undone'),
  ).action(lazyAction(async () => (await load()).renounceAdminAction))

  const signAdmission = chain
    .command('sign-admission')
    .description(
      "Sign, as one gatekeeper (--key), the registry's Admission statement for a worker and print it as JSON (for admit-by-quorum). Sends nothing.",
    )
    .requiredOption('--registry <address>', 'the TeefnRegistry address')
    .requiredOption('--worker <address>', "the worker's EVM address")
    .requiredOption('--quote-hash <bytes32>', "keccak256 of the worker's attestation quote")
    .requiredOption(
      '--measurement <bytes32>',
      'the runtime measurement the quote binds (pinned in the registry)',
    )
    .requiredOption('--expiry <unix>', 'when the admission ends, in unix seconds')
    .option('--deadline <unix>', 'the signatures are good until then, in unix seconds (default: --expiry)')
    .option('--rpc <url>', 'the EVM JSON-RPC endpoint (default: TEEFN_RPC_URL, else http://127.0.0.1:8545)')
    .option(
      '--key <file|env:NAME>',
      "a file holding the gatekeeper's private key (0x-hex), or env:NAME (never printed)",
    )
    .option('--json', 'print one JSON object (the output is JSON either way)')
  signAdmission.action(lazyAction(async () => (await load()).signAdmissionAction))

  addChainOptions(
    chain
      .command('admit-by-quorum')
      .description(
        "Admit a worker on gatekeepers' signatures (anyone may send): submit the Admission statement sign-admission printed, signed by at least the threshold of gatekeepers.",
      )
      .argument(
        '<signed.json...>',
        'files sign-admission printed, one per gatekeeper, all of the same statement',
      )
      .requiredOption('--registry <address>', 'the TeefnRegistry address'),
  ).action(lazyAction(async () => (await load()).admitByQuorumAction))

  const show = chain.command('show').description("Read the registry's state of a function or a worker.")
  addChainOptions(
    show
      .command('function')
      .description("A function's codeHash, owner, lock and result policy (threshold, aggregation).")
      .argument('<functionId>', 'the functionId (0x + 64 hex digits)')
      .requiredOption('--registry <address>', 'the TeefnRegistry address'),
    { sends: false },
  ).action(lazyAction(async () => (await load()).showFunctionAction))
  addChainOptions(
    show
      .command('worker')
      .description("A worker's admission: attestation hash, expiry, and whether it is active now.")
      .argument('<address>', "the worker's EVM address")
      .requiredOption('--registry <address>', 'the TeefnRegistry address'),
    { sends: false },
  ).action(lazyAction(async () => (await load()).showWorkerAction))
  return chain
}

/** `--compat <platform>`, as `teefn build --compat`: the codeHash registered must be the one built in the mode. */
function compatOption(): Option {
  return new Option(
    '--compat <platform>',
    'bundle a source written for another platform (chainlink, phat, gelato, lit), as teefn build --compat',
  ).choices(['chainlink', 'phat', 'gelato', 'lit'])
}
