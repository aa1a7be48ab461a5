/** The test kit: one import for what most test files need. */
export * from './api';
export * from './assertions';
export * from './config';
export * from './harness';
export * from './http';
export * from './state';
