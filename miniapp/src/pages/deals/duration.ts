type Translate = (key: 'deals.days' | 'deals.hours' | 'deals.lessThanHour', params?: { n: number }) => string

/** How long a deal stayed in a stage: whole days from one day on, else hours. */
export function durationText(seconds: number, t: Translate): string {
  if (seconds >= 86_400) return t('deals.days', { n: Math.floor(seconds / 86_400) })
  if (seconds >= 3_600) return t('deals.hours', { n: Math.floor(seconds / 3_600) })
  return t('deals.lessThanHour')
}
