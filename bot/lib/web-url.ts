import { z } from 'zod'

/**
 * A link a person will open (notice images, attachments, covers): `http:` or `https:` only, so a stored
 * `javascript:` or `data:` URL can never run in the mini-app or a card.
 */
export const webUrl = (max = 2000) =>
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(max)
