import { startApprovalCommand, todoApprovalsCommand } from './approvals'
import { customerCommand, nearbyCommand } from './crm'
import { helpCommand, whoamiCommand } from './help'
import { channelsCommand, leadCommand } from './leads'
import { noticesCommand } from './notices'
import { briefCommand, funnelCommand, reportCommand, salesCommand, weeklyCommand } from './reports'
import { dealCommand } from './sales'
import { ticketCommand } from './service'
import type { CommandSpec } from './types'

export type { CommandInput, CommandReply, CommandSpec } from './types'

/**
 * Every chat command, in help order. Features add theirs here (one import and one entry each).
 */
export const commands: CommandSpec[] = []
commands.push(
  helpCommand(() => commands),
  whoamiCommand,
  customerCommand,
  nearbyCommand,
  dealCommand,
  leadCommand,
  channelsCommand,
  ticketCommand,
  noticesCommand,
  startApprovalCommand,
  todoApprovalsCommand,
  reportCommand,
  salesCommand,
  funnelCommand,
  briefCommand,
  weeklyCommand,
)
