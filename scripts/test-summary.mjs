// Prints vitest's JSON report as the one line CI reads: "N passed, N failed".
// Tests that did not run because their file failed to load count as failed.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.vitest-results.json';
const report = JSON.parse(readFileSync(path, 'utf8'));
const brokenFiles = report.testResults.filter(
  (file) => file.status === 'failed' && file.assertionResults.length === 0,
);
const failed = report.numFailedTests + brokenFiles.length;
for (const file of brokenFiles)
  console.log(`failed to load: ${file.name}: ${(file.message ?? '').split('\n')[0]}`);
if (report.numPendingTests > 0 || report.numTodoTests > 0) {
  console.log(`skipped: ${report.numPendingTests}, todo: ${report.numTodoTests}`);
}
console.log(`${report.numPassedTests} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
