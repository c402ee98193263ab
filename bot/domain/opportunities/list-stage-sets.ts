import type { ServiceContext } from '../context'
import { ensureSalesDefaults, loadStageSets, type StageSetView } from './stage-sets'

/** The tenant's stage sets (销售流程) with their stages; creates the default set on first use. */
export async function listStageSets({ ctx }: { ctx: ServiceContext }): Promise<StageSetView[]> {
  await ensureSalesDefaults(ctx)
  return loadStageSets(ctx)
}
