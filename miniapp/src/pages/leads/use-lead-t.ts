import { type DictT, useDictT } from '@/composables/use-dict-t'
import { type LeadKey, leadMessages } from './lead-messages'

export type LeadT = DictT<LeadKey>

/** `t` for the lead pages' own dictionary. */
export const useLeadT = (): LeadT => useDictT(leadMessages)
