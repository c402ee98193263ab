/** Fake DingTalk for integration tests: the Open API server (both API families) and the push builder. */
export * from './push'
export * from './server'
export * from './stream-gateway'
