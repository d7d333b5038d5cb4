import { clearSections, writeReport } from './report.js';

/** Starts a fresh set of report sections and writes reports/reliability.md when the run ends. */
export default function setup(): () => void {
  const started = performance.now();
  clearSections();
  return () => {
    const path = writeReport((performance.now() - started) / 1000);
    if (path) process.stdout.write(`reliability report written to ${path}\n`);
  };
}
