import type { PlatformName } from '../chat/model'
import { type ChatPlatform, PermanentSendError, RateLimitedSendError } from '../chat/port'
import { type Metrics, noMetrics } from '../lib/metrics'

/** The adapters this process can send through, by name. Built by hand in the entry file. */
export class PlatformRegistry {
  private readonly byName = new Map<PlatformName, ChatPlatform>()

  /** Every send and card update through a registered adapter is counted by result in `metrics`. */
  constructor(private readonly metrics: Metrics = noMetrics) {}

  register(platform: ChatPlatform): this {
    this.byName.set(platform.name, this.metrics === noMetrics ? platform : counted(platform, this.metrics))
    return this
  }

  get(name: PlatformName): ChatPlatform {
    const p = this.byName.get(name)
    if (!p) throw new Error(`no ${name} adapter configured in this process`)
    return p
  }

  has(name: PlatformName): boolean {
    return this.byName.has(name)
  }
}

/** The result label of a send: ok, rate_limited, permanent (with the platform's code) or error. */
function outcome(err: unknown): [string, string] {
  if (err instanceof RateLimitedSendError) return ['rate_limited', '']
  if (err instanceof PermanentSendError) return ['permanent', err.platformCode.slice(0, 64)]
  return ['error', '']
}

/** The adapter with `send` and `updateCard` counted; every other method passes through unchanged. */
function counted(platform: ChatPlatform, metrics: Metrics): ChatPlatform {
  const track = async <T>(operation: 'send' | 'update', call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call()
      metrics.platformSend(platform.name, operation, 'ok', '')
      return result
    } catch (err) {
      const [result, code] = outcome(err)
      metrics.platformSend(platform.name, operation, result, code)
      throw err
    }
  }
  return new Proxy(platform, {
    get(target, prop, receiver) {
      if (prop === 'send')
        return (...args: Parameters<ChatPlatform['send']>) => track('send', () => target.send(...args))
      if (prop === 'updateCard')
        return (...args: Parameters<ChatPlatform['updateCard']>) =>
          track('update', () => target.updateCard(...args))
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
