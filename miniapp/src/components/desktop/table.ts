import { defineAsyncComponent } from 'vue'

/** A column of the desktop table. */
export interface Column<R> {
  key: string
  label: string
  /** The cell's text. */
  text: (row: R) => string
  /** The value sorted by (defaults to the text); `null` or empty sorts last. */
  sortBy?: (row: R) => string | number | null
  width?: string
}

/** The desktop table, as a lazy chunk: phones never load it. */
export const SortableTable = defineAsyncComponent(() => import('./SortableTable.vue'))
