export {
  type CreateMetricsParameters,
  createMetrics,
  type ObservedQueue,
  observedJobStates,
  type TeefnMetrics,
} from './createMetrics.js'
