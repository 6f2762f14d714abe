import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the one closing line CI reads: `N passed, N failed` (and `, N skipped`
 * when any were skipped). Vitest's own summary is not a form CI recognises.
 * Unhandled errors and modules that failed to load count as failures.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let any = false;
      for (const t of mod.children.allTests()) {
        any = true;
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
      // A module that failed to import, or a suite whose beforeAll/afterAll failed, has errors of
      // its own; its tests may then show as skipped, so each such error counts as a failure.
      if (mod.errors().length > 0 || (!any && mod.state() === 'failed')) failed++;
      for (const suite of mod.children.allSuites()) if (suite.errors().length > 0) failed++;
    }
    failed += unhandledErrors.length;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
