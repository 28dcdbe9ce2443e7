// `teefn chain ...`: one action per subcommand, each in cli/chain/ (loaded only when a chain command runs).
export { admitAction } from '../chain/admitAction.js'
export { admitByQuorumAction } from '../chain/admitByQuorumAction.js'
export { deployConsumerAction, deployRegistryAction } from '../chain/deployActions.js'
export { lockAction, registerAction, upgradeAction } from '../chain/functionActions.js'
export { gatekeepersAction } from '../chain/gatekeepersAction.js'
export {
  pinMeasurementAction,
  renounceAdminAction,
  setGatekeepersAction,
} from '../chain/governanceActions.js'
export { policyAction } from '../chain/policyAction.js'
export { showFunctionAction, showWorkerAction } from '../chain/showActions.js'
export { signAdmissionAction } from '../chain/signAdmissionAction.js'
