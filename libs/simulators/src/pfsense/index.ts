export {
  DEFAULT_PFSENSE_SEED,
  PFSENSE_SIM_API_KEY,
  PFSENSE_SIM_USER,
  PfSenseSimulator,
  startPfSenseSimulator,
  type PfAuthMethod,
  type PfSenseSeed,
  type PfSenseSimulatorOptions,
  type PfSimApiKey,
  type PfSimUser,
} from './simulator';
export type { AliasRecord, PfConfig, RuleRecord } from './models';
export type { PortForwardRecord } from './nat';
