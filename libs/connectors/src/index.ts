/**
 * @app/connectors: vendor connectors behind one FirewallConnector interface, plus the shared core (HTTP client,
 * classified errors, per-device lock, generic planner, apply runner). Simulators live in `@app/simulators`
 * (not re-exported here so production code never pulls in test servers and keys).
 */
export * from './core';
export { createConnector, supportedVendors, type ConnectorFactory } from './factory';
export { PfSenseConnector } from './pfsense';
export { FortiOsConnector, classifyFortiOs, type FortiOsConnectorOptions } from './fortios';
export { OpnSenseConnector, type OpnSenseConnectorOptions } from './opnsense';
