export * from './data-stack';
export * from './network-stack';
export * from './reading-stack';
export * from './study';
export * from './study-stack';
