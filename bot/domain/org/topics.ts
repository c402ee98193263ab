/** A full directory sync of one tenant (payload `{ tenantId }`): a new tenant, a contact-scope change, daily. */
export const SYNC_DIRECTORY = 'org.sync_directory'
/** Applies one contact event's user or department (fetched fresh from the platform) without a full sync. */
export const APPLY_CONTACT_CHANGE = 'org.apply_contact_change'
