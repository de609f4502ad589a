/**
 * The reading table's adapter. Each module owns one entity and exports narrow functions
 * `(db, tableName, …)` plus transaction-part builders (`…Tx`) that use cases compose into one
 * TransactWrite where an invariant spans items. Access patterns: ./README.md.
 */
export * from './keys';
export * from './page';
export * from './table';
export * from './cases';
export * from './assignments';
export * from './backfill-refs';
export * from './readers';
export * from './reads';
export * from './idempotency';
export * from './sessions';
export * from './audit';
export * from './claims';
export * from './submissions';
export * from './outcomes';
export * from './adjudications';
export * from './finals';
