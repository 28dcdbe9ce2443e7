/** Every code the development harnesses (the anvil and redis-server launchers, the demo) fail with: their one catalogue. */
export type DevErrorCode =
  /** No anvil for this platform, or `TEEFN_ANVIL_BIN` names no file (`AnvilNotInstalledError`). */
  | 'ANVIL_NOT_INSTALLED'
  /** The anvil binary could not be spawned. */
  | 'ANVIL_SPAWN_FAILED'
  /** anvil did not listen, or did not answer `eth_chainId`, within the start timeout. */
  | 'ANVIL_START_TIMEOUT'
  /** anvil exited before it listened. */
  | 'ANVIL_EXITED'
  /** The node on the port reports another chain id. */
  | 'ANVIL_WRONG_CHAIN'
  /** A JSON-RPC call to anvil answered an error. */
  | 'ANVIL_RPC_ERROR'
  /** `evm_revert` to a snapshot failed. */
  | 'ANVIL_REVERT_FAILED'
  /** anvil's threads did not stop or continue in time after SIGSTOP or SIGCONT. */
  | 'ANVIL_SIGNAL'
  /** `resume()` after `stop()`. */
  | 'ANVIL_STOPPED'
  /** `waitForReceipt` saw no receipt in time. */
  | 'TX_NOT_MINED'
  /** redis-server is not installed (`RedisServerMissingError`). */
  | 'REDIS_SERVER_MISSING'
  /** redis-server did not answer PING on three free ports. */
  | 'REDIS_SERVER_START_FAILED'
  /** `copyData()` of a server started without `appendOnly`. */
  | 'REDIS_SERVER_NOT_APPEND_ONLY'
  /** A step of the demo did not end as it must (`DemoError`). */
  | 'DEMO_FAILED'
