import type { NoticeAttachment, NoticeImage } from '../../../../db/schema'
import { InvalidInputError } from '../../errors'
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, MAX_BODY_BYTES, MAX_IMAGES } from '../schemas'

const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length

/** Size limits of a notice's content: each breach is a 400 naming the field, before anything is written. */
export function validateContent(input: {
  body?: string | undefined
  images?: NoticeImage[] | undefined
  attachments?: NoticeAttachment[] | undefined
}): void {
  if (input.body !== undefined) {
    const bytes = utf8Bytes(input.body)
    if (bytes > MAX_BODY_BYTES)
      throw new InvalidInputError(
        'body',
        `body is ${bytes} bytes of markdown; the limit is ${MAX_BODY_BYTES}`,
      )
  }
  if (input.images && input.images.length > MAX_IMAGES)
    throw new InvalidInputError('images', `at most ${MAX_IMAGES} images (got ${input.images.length})`)
  if (input.attachments) {
    if (input.attachments.length > MAX_ATTACHMENTS)
      throw new InvalidInputError(
        'attachments',
        `at most ${MAX_ATTACHMENTS} attachments (got ${input.attachments.length})`,
      )
    const big = input.attachments.findIndex((a) => a.size > MAX_ATTACHMENT_BYTES)
    if (big >= 0)
      throw new InvalidInputError(
        `attachments.${big}.size`,
        `an attachment may be at most ${MAX_ATTACHMENT_BYTES} bytes`,
      )
  }
}

/** A scheduled time must lie in the future. */
export function validateScheduledAt(at: Date, now: Date): void {
  if (Number.isNaN(at.getTime())) throw new InvalidInputError('scheduledAt', 'not a valid time')
  if (at.getTime() <= now.getTime())
    throw new InvalidInputError('scheduledAt', 'the scheduled time is in the past')
}
