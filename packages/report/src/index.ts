// @automl-ts/report: the reporting toolkit of automl-ts's examples (private workspace package).
export type { ChartSpec } from './charts/render.js';
export { CHART_CONFIG, renderSvg, writeChart } from './charts/render.js';
export type { AxisOptions } from './charts/common.js';
export { PALETTE } from './charts/common.js';
export type { LineChartOptions, LineSeries, ReferenceLine, SeriesPoint } from './charts/line-chart.js';
export { lineChart } from './charts/line-chart.js';
export type { LabelledPoint, ScatterChartOptions } from './charts/scatter-chart.js';
export { scatterChart } from './charts/scatter-chart.js';
export type { ParetoChartOptions, ParetoSense } from './charts/pareto-chart.js';
export { paretoChart, paretoFront } from './charts/pareto-chart.js';
export type { ErrorBarChartOptions, ErrorBarItem } from './charts/error-bar-chart.js';
export { errorBarChart } from './charts/error-bar-chart.js';
export type {
  BooleanOption,
  ChoiceOption,
  Command,
  CommandSpec,
  IntegerOption,
  NumberOption,
  OptionSpec,
  OptionValues,
  PathOption,
  StringOption,
} from './command-line.js';
export { defineCommand } from './command-line.js';
export type { ResultsDirectory, ResultsDirectoryOptions } from './paths.js';
export { invocationDirectory, resolveResultsDirectory, resolveUserPath } from './paths.js';
export type { Progress, ProgressFields, ProgressOptions, ProgressStream } from './progress.js';
export { createProgress, formatDuration } from './progress.js';
export type { Clocks, PhaseTime, Provenance, ProvenanceOptions, RunClock } from './provenance.js';
export { collectProvenance, createRunClock, packageVersions, processClocks } from './provenance.js';
export type { JsonValue, Results, ResultsInput } from './results.js';
export { buildResults, checkResults, RESULTS_SCHEMA, readResults, writeResults } from './results.js';
export type { SearchProgressOptions } from './search-progress.js';
export { searchProgress } from './search-progress.js';
export type { SeedSummary, Summary } from './stats.js';
export { summarize, summarizeOverSeeds, tQuantile975 } from './stats.js';
export type { TableColumn } from './table.js';
export { formatTable } from './table.js';
