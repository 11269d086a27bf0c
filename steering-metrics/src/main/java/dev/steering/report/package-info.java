/**
 * Study reports computed from {@code results.parquet}: {@code summary.csv} ({@link dev.steering.report.Summary}),
 * figures ({@link dev.steering.report.Figures}), {@code reports/examples.md} ({@link dev.steering.report.Examples}),
 * {@code reports/sanity.md} ({@link dev.steering.report.SanityReport}); {@link dev.steering.report.StudyReport}
 * writes them all. The files are described in {@code docs/pipeline-outputs.md}.
 */
package dev.steering.report;
