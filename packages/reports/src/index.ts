export { CONTENT_TYPES, REPORT_FORMATS, csvField, csvLine, writeReport, type ReportColumn, type ReportFormat } from './output.js';
export {
  bucketOrder,
  efficiencyRow,
  percent,
  portfolioRows,
  rollDirection,
  rollRateRows,
  type EfficiencyCell,
  type PortfolioCell,
  type RollCell,
} from './shape.js';
export {
  dpdRunsQuery,
  dpdRunsReport,
  efficiencyQuery,
  efficiencyReport,
  legalPipelineQuery,
  legalPipelineReport,
  portfolioQuery,
  portfolioReport,
  rollRateQuery,
  rollRateReport,
  type PreparedReport,
  type ReportContext,
  type ReportName,
} from './reports.js';
