/** Fake Feishu for integration tests: Open API server, push builders and the long-connection gateway. */
export * from './cards'
export * from './org'
export * from './push'
export * from './recorder'
export * from './server'
export * from './ws-gateway'
