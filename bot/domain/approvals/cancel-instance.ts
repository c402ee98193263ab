import type { ServiceContext } from '../context'
import { InstanceActionInput } from './schemas'
import { requireApprovalAdmin } from './store'
import type { ApprovalView } from './view'
import { endInstance } from './withdraw-instance'

/** 撤销 by an approval admin: ends a pending or returned request whoever started it. */
export async function cancelInstance({
  ctx,
  input,
}: {
  ctx: ServiceContext
  input: InstanceActionInput
}): Promise<ApprovalView> {
  const { instanceId, comment } = InstanceActionInput.parse(input)
  // Checked inside the transaction, on its connection: on the embedded database a statement outside it
  // waits for the transaction to end, which waits for the check (a deadlock).
  return endInstance(ctx, instanceId, comment, 'cancelled', async (_ins, txCtx) =>
    requireApprovalAdmin(txCtx),
  )
}
