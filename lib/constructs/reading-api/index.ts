export * from './case-registry';
export * from './export-worker';
export * from './fleet-api';
export * from './functions';
export * from './http-api';
export * from './reading-api';
export * from './reading-function';
