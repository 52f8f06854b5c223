export * from './fit';
export * from './options';
export * from './points';
export * from './stages';
export * from './metrics';
export { pointTable, predictAll, predictAt, toConstants, toVector } from './gradient';
export * from './interval';
export * from './coverage';
export * from './planInterval';
