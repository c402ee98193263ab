import { type DictT, useDictT } from '@/composables/use-dict-t'
import { type AdminKey, adminMessages } from './admin-messages'

export type AdminT = DictT<AdminKey>

/** `t` for the admin console's own dictionary, in the current language, with `{name}` placeholders. */
export const useAdminT = (): AdminT => useDictT(adminMessages)
