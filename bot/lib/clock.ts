/** Where "now" comes from: the system clock in production, an injected clock in tests. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
