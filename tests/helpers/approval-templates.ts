/**
 * 大额付款 (`bigpay`): the direct manager, then over ¥50,000 the holders of `roleKey`; a template as an admin
 * would design it, for tests of publishing and of starting it from chat.
 */
export const largePayment = (roleKey: string, emptyPolicy: 'admin' | 'skip' = 'admin') => ({
  key: 'bigpay',
  name: '大额付款',
  nameEn: 'Large payment',
  form: [{ key: 'amount', label: '金额', labelEn: 'Amount', type: 'money', required: true }],
  flow: {
    nodes: [
      { id: 'start', type: 'start', next: 'mgr' },
      {
        id: 'mgr',
        type: 'approval',
        name: '直属上级',
        approvers: { kind: 'manager', level: 1 },
        next: 'amount',
      },
      {
        id: 'amount',
        type: 'condition',
        name: '金额判断',
        branches: [
          {
            name: '超过5万',
            when: [{ kind: 'form', field: 'amount', op: 'gt', value: 5_000_000 }],
            next: 'board',
          },
        ],
        defaultNext: 'end',
      },
      {
        id: 'board',
        type: 'approval',
        name: '董事会',
        approvers: { kind: 'role', roleKey },
        emptyPolicy,
        next: 'end',
      },
      { id: 'end', type: 'end' },
    ],
  },
})
