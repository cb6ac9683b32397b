export * from './faults';
export * from './server';
export * from './vendor-simulator';
export * from './packet-trace';
