/**
 * Line icons drawn inline, so the shell and the home page do not need Vant's icon font (about 29 KB
 * gzipped of CSS). 24×24 viewBox, stroked with `currentColor`.
 */
export const LINE_ICONS = {
  home: ['M3.5 10.2 12 3.5l8.5 6.7V19a1.5 1.5 0 0 1-1.5 1.5h-4.2v-6h-5.6v6H5A1.5 1.5 0 0 1 3.5 19z'],
  customers: [
    'M9 11.5a3.75 3.75 0 1 0 0-7.5 3.75 3.75 0 0 0 0 7.5z',
    'M2.5 20c.7-3.4 3.3-5.5 6.5-5.5s5.8 2.1 6.5 5.5',
    'M15.5 4.3a3.75 3.75 0 0 1 0 6.9',
    'M17.8 14.9c1.9.8 3.2 2.6 3.7 5.1',
  ],
  approvals: [
    'M8.5 4.5H6.5A1.5 1.5 0 0 0 5 6v13.5A1.5 1.5 0 0 0 6.5 21h11a1.5 1.5 0 0 0 1.5-1.5V6a1.5 1.5 0 0 0-1.5-1.5h-2',
    'M9 3h6v3H9z',
    'm8.8 13.3 2.4 2.4 4.2-4.6',
  ],
  notices: ['M6 10.5a6 6 0 0 1 12 0v4.3l1.7 2.7H4.3L6 14.8z', 'M9.8 20.3a2.4 2.4 0 0 0 4.4 0'],
  reports: ['M4 20.5h16', 'M6.5 17V11', 'M11.5 17V6.5', 'M16.5 17v-8'],
  me: ['M12 11.5a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4 20.5c1-3.8 4.1-6 8-6s7 2.2 8 6'],
  admin: ['M12 3.5 19.5 6v5.5c0 4.4-3.1 8-7.5 9.5-4.4-1.5-7.5-5.1-7.5-9.5V6z', 'm9 12 2.2 2.2 4-4.4'],
  chevron: ['m9.5 5.5 6.5 6.5-6.5 6.5'],
} as const satisfies Record<string, readonly string[]>

export type LineIconName = keyof typeof LINE_ICONS

/** The icons a navigation entry can use. */
export type NavIconName = Exclude<LineIconName, 'chevron'>
