export { FortiOsApi, classifyFortiOs, type FortiRow, type FortiStatus, type FortiTable } from './api';
export { desiredFromRuleSet, liveFromFortiOs, memberName } from './mapping';
export {
  FortiOsConnector,
  serviceProtocolLiteral,
  supportsTransactions,
  type FortiOsConnectorOptions,
} from './fortios.connector';
