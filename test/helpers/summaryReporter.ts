import type { Reporter, RunnerTestFile } from 'vitest/node';

/** Ends the run with one plain "N passed, N failed, N skipped" line that any CI log reader understands. */
export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (tasks: RunnerTestFile['tasks']) => {
      for (const task of tasks) {
        if (task.type === 'suite') visit(task.tasks);
        else if (task.result?.state === 'pass') counts.passed++;
        else if (task.result?.state === 'fail') counts.failed++;
        else counts.skipped++;
      }
    };
    for (const file of files) {
      visit(file.tasks);
      if (file.result?.state === 'fail' && file.tasks.length === 0) counts.failed++;
    }
    console.log(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
