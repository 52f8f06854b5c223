export * from './constants';
export * from './law';
export * from './cost';
export * from './dcrit';
export * from './plan';
export * from './numeric';
export * from './domain';
