import type { PlatformName } from '../chat/model'
import type { ChatPlatform } from '../chat/port'

/** The adapters this process can send through, by name. Built by hand in the entry file. */
export class PlatformRegistry {
  private readonly byName = new Map<PlatformName, ChatPlatform>()

  register(platform: ChatPlatform): this {
    this.byName.set(platform.name, platform)
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
