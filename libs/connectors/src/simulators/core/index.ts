export * from './faults';
export * from './server';
