export {
  FORTIOS_SIM_READONLY_TOKEN,
  FORTIOS_SIM_TABLES,
  FORTIOS_SIM_TOKEN,
  FortiOsSimulator,
  TRANSACTION_LOCKED_ERROR,
  fortiFaultResponse,
  matchesFilter,
  startFortiOsSimulator,
  type FortiOsSimState,
  type FortiOsSimToken,
  type FortiOsSimulatorOptions,
} from './simulator';
export {
  CliError,
  SCHEMAS,
  TABLES,
  type JsonObject,
  type Row,
  type TableKey,
  type VdomStore,
} from './tables';
