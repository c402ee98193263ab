import type { CardActionHandler } from '../chat/model'
import { approvalActions } from './approvals'
import { customerActions } from './crm'
import { helpActions } from './help'
import { leadActions } from './leads'
import { noticeActions } from './notices'
import { reportActions } from './reports'
import { salesActions } from './sales'
import { serviceActions } from './service'

export type { CardActionHandler, CardActionInput } from '../chat/model'

/**
 * Every card action by its `a` name: the application layer that turns a tap into a domain verb call,
 * beside `bot/commands` (typed commands). Each area exports a `Record<string, CardActionHandler>` from
 * `bot/actions/<area>.ts`; add it here with one import and one spread.
 */
export const cardActions: Record<string, CardActionHandler> = {
  ...noticeActions,
  ...approvalActions,
  ...customerActions,
  ...helpActions,
  ...reportActions,
  ...salesActions,
  ...leadActions,
  ...serviceActions,
}
