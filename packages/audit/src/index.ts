export {
  GENESIS_HASH,
  chainHash,
  sealAuditChain,
  verifyAuditChain,
  type ChainProblemKind,
  type ChainReport,
} from './chain.js';
export { listAuditEntries, type AuditEntryView } from './audit-queries.js';
export { startAuditSealer } from './sealer.js';
