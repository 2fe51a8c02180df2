/**
 * The column mapping of `loopdesk import-ledger`: which header of a company's old Excel ledger feeds which field.
 * The README's 「导入历史台账」 table repeats it; a header matches after spaces, a trailing 「*」 and any bracketed note
 * (「首次响应时间（年-月-日 时:分）」) are removed.
 */

export type ImportField =
  | 'code'
  | 'receivedAt'
  | 'time'
  | 'channel'
  | 'category'
  | 'customer'
  | 'contact'
  | 'content'
  | 'firstResponseAt'
  | 'resolvedAt'
  | 'handler'
  | 'result'
  | 'satisfaction'
  | 'followUpAt'
  | 'followUp';

export interface ImportColumn {
  field: ImportField;
  /** The name shown in messages and the README (the first header below). */
  label: string;
  headers: string[];
  required: boolean;
}

export const IMPORT_COLUMNS: ImportColumn[] = [
  { field: 'code', label: '编号', headers: ['编号', '工单号', '单号', '投诉编号', '登记编号', '原编号', '序号'], required: false },
  { field: 'receivedAt', label: '日期', headers: ['日期', '受理日期', '受理时间', '收到时间', '反馈日期', '投诉日期', '登记日期', '来电时间'], required: true },
  { field: 'time', label: '时间', headers: ['时间', '受理时刻'], required: false },
  { field: 'channel', label: '渠道', headers: ['渠道', '来源', '反馈渠道', '投诉渠道', '受理渠道', '来源渠道'], required: false },
  { field: 'category', label: '类别', headers: ['类别', '分类', '类型', '问题类型', '反馈类型', '问题分类'], required: true },
  { field: 'customer', label: '客户', headers: ['客户', '客户名称', '客户姓名', '姓名', '投诉人', '反馈人'], required: false },
  { field: 'contact', label: '联系方式', headers: ['联系方式', '联系电话', '电话', '手机', '手机号', '邮箱'], required: false },
  { field: 'content', label: '内容摘要', headers: ['内容摘要', '内容', '反馈内容', '投诉内容', '问题描述', '摘要', '事由'], required: true },
  { field: 'firstResponseAt', label: '首次响应时间', headers: ['首次响应时间', '响应时间', '首次回复时间', '首次答复时间'], required: false },
  { field: 'resolvedAt', label: '解决时间', headers: ['解决时间', '办结时间', '完成时间', '处理完成时间', '结案时间'], required: true },
  { field: 'handler', label: '处理人', headers: ['处理人', '经办人', '负责人', '跟进人'], required: false },
  { field: 'result', label: '结果', headers: ['结果', '处理结果', '处理情况', '处理意见'], required: false },
  { field: 'satisfaction', label: '满意度', headers: ['满意度', '客户满意度', '满意度评价', '评价'], required: false },
  { field: 'followUpAt', label: '回访时间', headers: ['回访时间', '回访日期'], required: false },
  { field: 'followUp', label: '回访', headers: ['回访', '回访情况', '回访记录', '回访方式', '回访结果'], required: false },
];

export const normalizeHeader = (h: string) =>
  h
    .replace(/[（(【[].*?[)）】\]]/g, '')
    .replace(/[\s*＊:：]/g, '')
    .trim();

const BY_HEADER = new Map(IMPORT_COLUMNS.flatMap((c) => c.headers.map((h) => [h, c] as const)));
export const columnOfHeader = (header: string): ImportColumn | undefined => BY_HEADER.get(normalizeHeader(header));

/** Words of 满意度 and their score on our 1–5 scale (README). A number 1–5 (「5」「5分」) is taken as is. */
export const SATISFACTION_WORDS: Record<string, number> = {
  非常满意: 5,
  很满意: 5,
  满意: 4,
  比较满意: 4,
  基本满意: 3,
  一般: 3,
  不满意: 2,
  不太满意: 2,
  非常不满意: 1,
  很不满意: 1,
};
/** Words meaning "no answer": the record is imported without a score. */
export const NO_SATISFACTION = new Set(['未评价', '未回访', '无', '无评价', '未接通', '-', '—', '/']);

/** Other names of the built-in categories (used only when the config has a category with that id). */
export const CATEGORY_SYNONYMS: Record<string, string[]> = {
  bug: ['故障', '产品问题', '技术问题', '系统故障', '功能故障'],
  complaint: ['投诉', '客诉', '投诉类'],
  consultation: ['咨询', '询问', '问询', '咨询类'],
  suggestion: ['建议', '意见建议', '意见', '建议类'],
  other: ['其他', '其它'],
};

/** Channel words of old ledgers → our channel ids; any other word is kept as written (shown in the ledger as is). */
export const CHANNEL_SYNONYMS: Record<string, string[]> = {
  phone: ['电话', '热线', '客服电话', '400电话', '来电'],
  web: ['官网留言', '官网', '网站', '网站留言', '在线留言'],
  email: ['邮件', '电子邮件', '邮箱'],
  visit: ['来访', '上门', '现场'],
  letter: ['信函', '来信', '信件'],
  wecom: ['微信客服', '企业微信'],
  feishu: ['飞书'],
  dingtalk: ['钉钉'],
};
