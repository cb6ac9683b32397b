export {
  DEFAULT_OPNSENSE_INTERFACES,
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  OpnSenseSimulator,
  startOpnSenseSimulator,
  type OpnPrivilege,
  type OpnSenseSeed,
  type OpnSenseSimState,
  type OpnSenseSimulatorOptions,
  type OpnSimKey,
} from './simulator';
export type {
  Fields as OpnFields,
  InterfaceDef as OpnInterfaceDef,
  OpnConfig,
  Validations as OpnValidations,
} from './models';
export { featuresOf as opnSenseFeaturesOf, type OpnFeatures } from './version';
