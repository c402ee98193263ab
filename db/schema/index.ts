export * from './org'
export * from './system'
