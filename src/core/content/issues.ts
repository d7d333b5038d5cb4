/** A problem found in a content or import file, located as precisely as the format allows. */
export interface SourceIssue {
  file: string;
  line?: number;
  column?: number;
  /** 1-based number of the question in its file, where the problem belongs to one. */
  question?: number;
  message: string;
}

export function formatIssue(i: SourceIssue): string {
  const where = [i.file, i.line !== undefined ? String(i.line) : undefined, i.column !== undefined ? String(i.column) : undefined]
    .filter(Boolean)
    .join(':');
  const q = i.question !== undefined ? `question ${i.question}: ` : '';
  const line = `${where}: ${q}${i.message}`;
  // A problem is one readable line, whatever a file put in it (a 50 KB cell, a quoted question).
  return line.length > MAX_ISSUE_LINE ? `${line.slice(0, MAX_ISSUE_LINE - 1)}…` : line;
}

/** The longest line a problem is written as. */
export const MAX_ISSUE_LINE = 300;

export class ContentError extends Error {
  override name = 'ContentError';
  constructor(readonly issues: SourceIssue[]) {
    super(
      `${issues.length} content error${issues.length === 1 ? '' : 's'}:\n` +
        issues
          .slice(0, 50)
          .map((i) => '  ' + formatIssue(i))
          .join('\n') +
        (issues.length > 50 ? `\n  … and ${issues.length - 50} more` : ''),
    );
  }
}
