import type { visits } from '../../../db/schema'

export type VisitRow = typeof visits.$inferSelect

export interface VisitDto {
  id: string
  customerId: string
  userId: string
  status: VisitRow['status']
  plannedAt: string | null
  purpose: string | null
  checkInAt: string | null
  checkInLat: number | null
  checkInLng: number | null
  checkInAddress: string | null
  checkInDistanceM: number | null
  checkInFlagged: boolean
  checkOutAt: string | null
  photos: VisitRow['photos']
  summary: string | null
  clientKey: string | null
  createdAt: string
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)
const num = (n: number | string | null): number | null => (n === null ? null : Number(n))

export const toVisitDto = (v: VisitRow): VisitDto => ({
  id: v.id,
  customerId: v.customerId,
  userId: v.userId,
  status: v.status,
  plannedAt: iso(v.plannedAt),
  purpose: v.purpose,
  checkInAt: iso(v.checkInAt),
  checkInLat: num(v.checkInLat),
  checkInLng: num(v.checkInLng),
  checkInAddress: v.checkInAddress,
  checkInDistanceM: v.checkInDistanceM,
  checkInFlagged: v.checkInFlagged,
  checkOutAt: iso(v.checkOutAt),
  photos: v.photos,
  summary: v.summary,
  clientKey: v.clientKey,
  createdAt: v.createdAt.toISOString(),
})
