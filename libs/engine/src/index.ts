export * from './model';
export { computeRuleSets } from './compute';
export { traceReachability } from './reachability';
export { EngineInputError } from './inventory-index';
export type { EngineInputErrorCode } from './inventory-index';
export { canonicalJson } from './canonical-json';
export type { Cidr } from './ip';
export {
  FAMILY_BITS,
  InvalidAddressError,
  canonicalCidr,
  cidrContains,
  cidrFirst,
  cidrLast,
  cidrSize,
  cidrsOverlap,
  compareCidrs,
  describeInvalidCidr,
  formatAddress,
  formatCidr,
  isValidCidr,
  parseCidr,
  rangeToCidrs,
  summarizeCidrs,
  tryParseCidr,
  zoneForAddress,
} from './ip';
export {
  describeInvalidPortRange,
  formatPorts,
  intersectPorts,
  normalizePorts,
  parsePorts,
  portsOverlap,
  subtractPorts,
} from './ports';
export {
  DEFAULT_PREFIX,
  MAX_OBJECT_NAME_LENGTH,
  MAX_PREFIX_LENGTH,
  MAX_RULE_NAME_LENGTH,
  describeInvalidPrefix,
  isValidName,
  shortHash,
} from './naming';
