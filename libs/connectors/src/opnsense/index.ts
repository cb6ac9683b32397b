export {
  OpnSenseApi,
  classifyOpnSense,
  selectedKeys,
  validationMessages,
  type OpnAlias,
  type OpnAliasBody,
  type OpnRule,
  type OpnRuleBody,
  type OpnSavepoint,
} from './api';
export {
  ALIAS_NAME as OPNSENSE_ALIAS_NAME,
  desiredFromRuleSet as opnSenseDesiredFromRuleSet,
  liveFromOpnSense,
} from './mapping';
export { assignSequences, blockBounds, DEFAULT_MAX_SEQUENCE, type SequenceBounds } from './sequence';
export { OpnSenseConnector, type OpnSenseConnectorOptions } from './opnsense.connector';
