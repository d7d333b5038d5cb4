/** The formats a bank can be exported to. */
export const EXPORT_FORMATS = ['yaml', 'json', 'csv', 'gift', 'aiken'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface SkippedQuestion {
  id: string;
  reason: string;
}

export interface ExportResult {
  text: string;
  /** Questions the format cannot carry, left out of `text`. */
  skipped: SkippedQuestion[];
}
