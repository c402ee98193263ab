export * from './chat'
export * from './org'
export * from './system'
