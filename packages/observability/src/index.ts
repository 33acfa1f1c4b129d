export { createMetrics, type Metrics } from './metrics.js';
export { createAlerter, logSink, webhookSink, type AlertKind, type AlertSink, type Alerter } from './alerts.js';
