// `teefn chain ...`: one action per subcommand, each in cli/chain/ (loaded only when a chain command runs).
export { admitAction } from '../chain/admitAction.js'
export { deployConsumerAction, deployRegistryAction } from '../chain/deployActions.js'
export { lockAction, registerAction, upgradeAction } from '../chain/functionActions.js'
export { showFunctionAction, showWorkerAction } from '../chain/showActions.js'
