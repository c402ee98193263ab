import { newId } from '../../bot/lib/ids'
import type { DbOrTx } from '../client'
import { chats } from '../schema'
import type { SeededOrg } from './org'

/** Two group chats for the devchat simulator: the sales team and everyone. */
export async function seedDevchatChats(db: DbOrTx, org: SeededOrg): Promise<void> {
  const sales = [
    'liming',
    'zhangwei',
    'liuyang',
    'chenjing',
    'yangfan',
    'zhaolei',
    'huangli',
    'zhoujie',
    'wumin',
  ]
  const ids = (keys: string[]) => keys.map((k) => org.users[k]).filter((v): v is string => Boolean(v))
  await db.insert(chats).values([
    {
      id: newId('cht'),
      tenantId: org.tenantId,
      platform: 'devchat',
      platformChatId: 'grp:sales',
      name: '销售部群',
      memberUserIds: ids(sales),
    },
    {
      id: newId('cht'),
      tenantId: org.tenantId,
      platform: 'devchat',
      platformChatId: 'grp:all',
      name: '全员群',
      memberUserIds: Object.values(org.users),
    },
  ])
}
