/**
 * Earlier records imported from a company's old spreadsheet (desk/import-records.ts). Their code prefix and what the
 * evidence says of them live here, so the desk, the ledger and `loopdesk verify` say the same thing.
 */

/** Code prefix of imported records: DR-YYYYMMDD-NNNN (the day of the original receipt), apart from the FB daily numbers. */
export const IMPORTED_CODE_PREFIX = 'DR';

/** What the imported rows are and are not, said the same way in the CLI, the ledger's 说明 and the verify report. */
export const IMPORTED_GUARANTEE =
  '导入的历史记录来自公司原有台账，不是本系统当时受理和记录的：事件日志只证明导入时写入的内容（导入事件及来源文件的 SHA-256），不证明导入前的处理过程是在当时记录的；这些记录不计入任何指标。';

/** 记录来源 of an imported row: 导入, the file's row and original code, and the file's hash (its first 12 hex digits). */
export const importedSource = (i: { file: string; row: number; originalCode: string | null; sha256: string }) =>
  `导入（${i.file} 第 ${i.row} 行${i.originalCode ? `，原编号 ${i.originalCode}` : ''}，文件 SHA-256 ${i.sha256.slice(0, 12)}…）`;
