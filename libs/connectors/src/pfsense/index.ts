export { PfSenseApi, classifyPfSense, type PfAlias, type PfRule, type PfApplyStatus } from './api';
export { desiredFromRuleSet, liveFromPfSense } from './mapping';
export { PfSenseConnector } from './pfsense.connector';
