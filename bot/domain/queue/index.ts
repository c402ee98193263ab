/** The queue area's public surface: what code outside bot/domain/queue/ may import. */
export { getQueueStatus, listFailedJobs, retryFailedJob } from './queue-status'
