import { z } from 'zod'
import { TemplateDefinitionSchema } from '../schemas'

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s)
      return u.protocol === 'https:' || u.protocol === 'http:'
    } catch {
      return false
    }
  }, 'expected an http(s) URL')

export const RegisterSystemInput = z.object({
  name: z.string().trim().min(1).max(60),
  webhookUrl: httpUrl,
})
export type RegisterSystemInput = z.infer<typeof RegisterSystemInput>

export const UpdateSystemInput = z.object({
  systemId: z.string().min(1),
  name: z.string().trim().min(1).max(60).optional(),
  webhookUrl: httpUrl.optional(),
  active: z.boolean().optional(),
})
export type UpdateSystemInput = z.infer<typeof UpdateSystemInput>

/** Who starts the request in the tenant: a user id, or the email / mobile the org sync recorded. */
export const InitiatorRef = z
  .object({
    userId: z.string().min(1).max(64).optional(),
    email: z.string().trim().toLowerCase().max(200).optional(),
    mobile: z.string().trim().max(40).optional(),
  })
  .refine((v) => [v.userId, v.email, v.mobile].filter(Boolean).length === 1, {
    message: 'give exactly one of userId, email, mobile',
  })
export type InitiatorRef = z.infer<typeof InitiatorRef>

export const EXTERNAL_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/

export const StartExternalInput = z.object({
  templateKey: z.string().min(1).max(64),
  /** The record's id in the external system (`PO-2026-0042`); the webhook and status lookup carry it. */
  externalId: z.string().regex(EXTERNAL_ID_RE, 'letters, digits and _ . : - (max 128)'),
  /** Link back to the record in the external system, shown on cards and in the mini-app. */
  link: httpUrl.optional(),
  initiator: InitiatorRef,
  form: z.record(z.string(), z.unknown()),
  approvers: z.record(z.string(), z.array(z.string()).min(1).max(20)).optional(),
})
export type StartExternalInput = z.infer<typeof StartExternalInput>

/** A template an external system registers for its own requests (not offered in chat or the mini-app). */
export const ExternalTemplateInput = TemplateDefinitionSchema
export type ExternalTemplateInput = z.input<typeof ExternalTemplateInput>
