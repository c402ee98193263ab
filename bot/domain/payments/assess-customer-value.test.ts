import { describe, expect, it } from 'vitest'
import { scoreCustomer } from './assess-customer-value'

describe('customer value (RFM + engagement), hand-computed', () => {
  it.each([
    // R 5, F 5, M 5, E 5 → 20 × 5 − 20 = 80 → A
    [{ recencyDays: 10, frequency: 8, monetaryCents: 200_000_000, engagement: 12 }, 80, 'A'],
    // R 4 (60 d), F 3 (2), M 4 (¥600,000), E 3 (3): 20 × (1.2 + 0.6 + 1.6 + 0.3) − 20 = 54 → B
    [{ recencyDays: 60, frequency: 2, monetaryCents: 60_000_000, engagement: 3 }, 54, 'B'],
    // R 3 (120 d), F 2 (1), M 3 (¥200,000), E 2 (1): 20 × (0.9 + 0.4 + 1.2 + 0.2) − 20 = 34 → C
    [{ recencyDays: 120, frequency: 1, monetaryCents: 20_000_000, engagement: 1 }, 34, 'C'],
    // no payment: R 1, F 1, M 1, E 1 → 0 → D
    [{ recencyDays: null, frequency: 0, monetaryCents: 0, engagement: 0 }, 0, 'D'],
    // R 2 (300 d), F 2, M 2 (¥500), E 1: 20 × (0.6 + 0.4 + 0.8 + 0.1) − 20 = 18 → D
    [{ recencyDays: 300, frequency: 1, monetaryCents: 50_000, engagement: 0 }, 18, 'D'],
  ] as const)('%o → %d %s', (input, score, tier) => {
    const r = scoreCustomer(input)
    expect(r.score).toBe(score)
    expect(r.tier).toBe(tier)
    expect(r.factors).toHaveLength(4)
  })
})
