export * from './people.ts';
export * from './tickets.ts';
export * from './delivery.ts';
export * from './incidents.ts';
export * from './evidence.ts';
export * from './accounts.ts';
