export {
  analyzeDocument,
  analyzeOperation,
  DocumentAnalysis,
  OperationAnalysis,
  DEFAULT_LIST_SIZE,
} from './analysis.js';
export type { AnalysisOptions } from './analysis.js';
export { evaluateCost, evaluateSize, isVariableCost } from './cost.js';
export type { CostExpr, CostNode, RawVariables, SizeExpr, SliceRef } from './cost.js';
export { MAX_WALK_DEPTH } from './walk.js';
export type { SlicingViolation } from './walk.js';
export {
  findDirective,
  getCostMetadata,
  schemaCostMetadata,
  schemaInfo,
  setCostMetadata,
} from './schema-info.js';
export type { CostMetadata, FieldInfo, ListSizeInfo } from './schema-info.js';
