/**
 * Major-complaint (重大投诉) detection: threats to escalate to a regulator, the press or a court, money loss and data
 * leaks. A mention right after a negation ("不会去12315", "这不是投诉") does not count.
 */

interface Signal {
  reason: string;
  pattern: RegExp;
  /** Words right after the match that make it business, not a threat (「通信管理局的资质」, 「工信部备案」). */
  benignAfter?: RegExp;
}

/** One regular expression from alternatives written over several lines. */
const alternatives = (...parts: string[]) => new RegExp(parts.join('|'));

const SIGNALS: Signal[] = [
  // The reviewer's own agency goes by many names: 通管局, (上海市 / 省) 通信管理局, 电信管理局; the ministry (工信部,
  // 工业和信息化部) and its 12300 电信用户申诉受理中心; market regulation (市场监管, 市监局, 12315); consumer associations.
  {
    reason: '提及监管部门',
    pattern: alternatives(
      String.raw`工信部|工业和信息化部|通管局|通信管理局|电信管理局|电信用户申诉|网信办|市场监管|市场监督管理|市监局|工商局|消协|消费者协会|消保委|消费者权益保护|银保监|金融监管`,
      String.raw`(?<![\d])(12300|12321|12315|12345|12378|12381)(?![\d])|(?<![\d])315(?![\d])`,
    ),
    benignAfter: /^(的|颁发的|发的)?(资质|许可|备案|牌照|经营许可证|批复|审批)/,
  },
  // Public complaint platforms and exposure: "发到抖音上" is a threat, "抖音账号怎么绑定" is not.
  {
    reason: '提及媒体曝光',
    pattern: /媒体|曝光|记者|上热搜|发(到|在)?(微博|抖音|快手|小红书|网上)|小红书|黑猫投诉|聚投诉|消费保|人民网|留言板|新闻/,
  },
  { reason: '提及法律途径', pattern: /律师|起诉|法院|诉讼|仲裁|报警|公安/ },
  { reason: '举报', pattern: /举报/ },
  // Money taken without the service: 「扣了我的钱却没有开通」, 「钱被扣了」, 重复扣费; not a question about fees (「怎么扣费」).
  {
    reason: '资金损失',
    pattern: alternatives(
      String.raw`乱扣费|乱收费|被扣款|多扣|重复扣|扣了(我的?)?(钱|款|费|\d)`,
      String.raw`扣(我|我的)(钱|款)|(钱|款|费)被扣|钱(都|也|已经)?扣了|付了(钱|款)[^，。,.]{0,4}(没|却|但|还不)|盗刷|被骗|骗钱|钱没了|不退(钱|款)|损失.{0,6}(元|块|万)|(元|块|万).{0,6}损失`,
    ),
  },
  { reason: '数据泄露', pattern: /泄露|泄漏|信息被盗|数据外泄|隐私.{0,4}(曝光|泄)/ },
  { reason: 'mentions regulators / press / lawyers', pattern: /\b(regulator|lawyer|lawsuit|sue you|press|journalist|data (breach|leak))\b/i },
];

const NEGATED = /(不是|不会|不想|不打算|没打算|没想|不准备|不至于|没有|并非|无意|不用|不必|不需要)[^，。,.!！?？]{0,6}$/;

export interface MajorSignal {
  major: boolean;
  reasons: string[];
  /** the words that triggered it */
  matches: string[];
}

export function detectMajor(text: string): MajorSignal {
  const reasons: string[] = [];
  const matches: string[] = [];
  for (const s of SIGNALS) {
    const re = new RegExp(s.pattern.source, s.pattern.flags.includes('g') ? s.pattern.flags : `${s.pattern.flags}g`);
    for (const m of text.matchAll(re)) {
      const before = text.slice(Math.max(0, m.index! - 10), m.index);
      if (NEGATED.test(before)) continue;
      if (s.benignAfter?.test(text.slice(m.index! + m[0].length, m.index! + m[0].length + 10))) continue;
      if (!reasons.includes(s.reason)) reasons.push(s.reason);
      matches.push(m[0]);
      break;
    }
  }
  return { major: reasons.length > 0, reasons, matches };
}
