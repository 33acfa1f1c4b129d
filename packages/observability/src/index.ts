export { createMetrics, type Metrics } from './metrics.js';
export { createAlerter, logSink, webhookSink, type AlertKind, type AlertSink, type Alerter } from './alerts.js';
export { startConnectionProbe, type ConnectionProbe, type ConnectionProbeOptions } from './connection-probe.js';
export { metricsHandler, startMetricsServer, type MetricsServer } from './metrics-server.js';
