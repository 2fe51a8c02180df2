/**
 * A generated corpus in a company's own vocabulary, which the shipped rules do not know (对账单, 发票抬头, 子账号…):
 * each category has its own phrases, so a classifier that learns from reclassifications must beat the rules.
 */
export function corpus(seed: number, n: number): Array<{ text: string; label: string }> {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const phrases: Record<string, string[][]> = {
    bug: [
      ['对账单', '导出的报表', '同步任务', '子账号权限'],
      ['数据对不上', '一直转圈', '金额显示为负数', '重复生成两份', '同步失败'],
    ],
    complaint: [
      ['你们销售', '上次的客服', '续费时', '合同里'],
      ['承诺的没兑现', '态度恶劣', '多收了我们一年的钱', '一直推脱', '完全不负责任'],
    ],
    consultation: [
      ['子账号', '发票抬头', 'API 调用额度', '数据保留期'],
      ['在哪里设置', '上限是多少', '支持哪些格式', '需要什么材料'],
    ],
    suggestion: [
      ['报表页面', '移动端', '审批流', '通知提醒'],
      ['要是能加个筛选就好了', '最好支持自定义字段', '能配合企业微信就更方便', '加一个夜间主题吧'],
    ],
  };
  const labels = Object.keys(phrases);
  return Array.from({ length: n }, () => {
    const label = pick(labels);
    const [subjects, predicates] = phrases[label];
    return { text: `${pick(['您好，', '', '麻烦看下，', ''])}${pick(subjects)}${pick(predicates)}${pick(['。', '，谢谢', '！', ''])}`, label };
  });
}
