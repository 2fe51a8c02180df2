/**
 * What the records prove, in one place: the mechanism description (§六), the case report and the README say
 * this and nothing stronger. Each sentence is backed by a test in test/integration/records.*.test.ts.
 */
export function recordsClaims(opts: { keyed?: boolean; retentionMonths: number }): string[] {
  const key =
    opts.keyed === undefined
      ? '设置存证密钥的部署，日根和各链头另有密钥标记（HMAC），没有密钥无法算出相符的标记。'
      : opts.keyed
        ? '本部署设置了存证密钥：日根和各链头另有密钥标记（HMAC），没有密钥无法算出相符的标记。'
        : '本部署未设置存证密钥：日根只有哈希，能改写数据库的人可以重新计算，只有与已发到客服群的日根比对才能发现。';
  return [
    '- 每张工单的每一步（受理、认领、回复、解决、回访、归档、时限提醒与超时、个人信息删除）按工单串成哈希链事件日志；客户消息和客服回复的正文与附件引用、工单标题、客户联系方式以加盐摘要写入链中，个人信息本身与事件分开保存。',
    '- 系统的事件日志校验可检出并指明工单：修改消息正文或客服回复；删除或事后插入消息；修改或删除事件；台账字段（状态、首次响应、解决、归档、满意度评分、重大投诉标记）与事件日志不符。',
    '- 每天零点后把前一天新增事件所涉各工单的链头封存为一个日根，日根首尾相连。已封存的日期内删除整张工单、删除工单末尾的事件或删除整天的事件，都可检出并指明工单。日根随每日数据简报发到客服群（平台保存该消息）、写入系统日志，并列入审核材料包。',
    `- ${key}`,
    '- 不能保证：同时掌握数据库（及密钥，如设置）的人，可以改写尚未封存的当天记录或尚未发到客服群的日根并重新计算全部哈希；这只能通过与客服群中已发布的日根比对发现。当天尚未封存时，删除工单末尾的事件无法检出。系统升级前写入的（第 1 版）事件，消息正文未入链。',
    `- 客户可申请查阅、复制或删除其个人信息；删除后工单保留时间和评分，内容显示为「已依申请删除」，事件日志记录删除操作且仍可校验。已归档工单的个人信息保存 ${opts.retentionMonths} 个月后自动删除。`,
  ];
}

/** The case report's one-line scope of its chain check. */
export const CASE_CHAIN_SCOPE = '本记录的哈希链覆盖事件、消息正文与联系方式的摘要；整张工单或末尾事件被删除，由每日封存与事件日志校验检出。';
