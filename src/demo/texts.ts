/**
 * The words of the demo history: what customers write and what agents answer, per category. Sentences are put
 * together from parts so that six months of tickets read like different people (and do not look like one burst to
 * the incident grouping, which clusters similar texts). Random complaints avoid the major-complaint words
 * (regulators, press, lawyers, money lost): the demo has one major complaint, told on purpose (see plan.ts).
 */
export type Pick = <T>(list: readonly T[]) => T;

const FEATURES = [
  '订单页面',
  '会员中心',
  '支付页面',
  '发票申请',
  '消息通知',
  '数据导出',
  '账号设置',
  '购物车',
  '优惠券',
  '小程序首页',
  '客户端更新',
  '报表中心',
  '文件上传',
  '搜索功能',
  '地址管理',
];
const DEVICES = ['iPhone 15', '华为 Mate 60', '小米 14', 'OPPO Find X7', 'Windows 电脑上的 Chrome', 'Mac 上的 Safari', '荣耀平板', 'vivo X100'];
const WHEN = ['今天上午', '从昨天晚上开始', '刚才', '这两天', '今天下午', '升级新版本以后', '从周一开始'];

const BUG_SYMPTOMS = [
  '点进去就白屏',
  '一直报错，提示"系统繁忙"',
  '打开后卡死不动',
  '会闪退',
  '提交时报错',
  '显示异常，数据是空的',
  '加载失败报错，刷新也没用',
  '按钮点了没反应，像是故障了',
];
const BUG_TAILS = ['麻烦尽快看一下。', '已经试过重启和重新登录了。', '影响我们正常使用，请处理。', '截图已经发过来了，请帮忙排查。', '同事的账号也一样。', ''];

const COMPLAINT_OPENERS = ['我要投诉', '对你们的服务很不满意', '太差了', '说好的事情没做到，我要投诉'];
const COMPLAINT_BODIES = [
  '客服三天都没人回复，问题一直拖着',
  '快递送错了地址，联系了两次都没结果',
  '下单时说的优惠到结算时没有了',
  '申请退款一周了还没有进展',
  '售后电话一直打不通',
  '上门安装的师傅迟到两个小时还态度不好',
  '同一个问题反映了好几次，每次都让我重新描述',
  '商品和描述不符，申请退货被拒绝',
];
const COMPLAINT_TAILS = ['希望给个说法。', '请尽快处理。', '请安排专人跟进。', '给个明确的处理时间。'];

const QUESTIONS = [
  (f: string) => `请问${f}在哪里可以找到？`,
  (f: string) => `请问${f}怎么设置成默认？`,
  () => '请问企业版多少钱一年？能不能按月付？',
  () => '问一下，发票可以开专票吗？需要提供哪些信息？',
  () => '如何把子账号的权限改成只读？',
  () => '请问你们支持私有化部署吗？',
  () => '咨询一下，试用期结束后数据还会保留吗？',
  () => '能不能把账号的手机号换成新的？怎么操作？',
  () => '请问退货的运费是谁承担？',
  (f: string) => `请问${f}是否支持批量操作？`,
  () => '想咨询一下教育优惠，学生可以申请吗？',
  () => '请问你们的服务时间是几点到几点？',
];
const QUESTION_OPENERS = ['你好，', '您好，', '', '打扰一下，'];

const SUGGESTIONS = [
  (f: string) => `建议${f}增加夜间模式，晚上看着太亮了。`,
  (f: string) => `希望增加${f}的导出功能，最好能导出 Excel。`,
  () => '建议在订单列表里显示预计送达时间。',
  () => '希望能支持微信登录，每次输入密码太麻烦。',
  (f: string) => `要是能在${f}里加一个搜索框就好了。`,
  () => '建议把客服入口放到首页显眼的位置。',
  () => '希望增加英文界面，我们有外籍同事在用。',
  (f: string) => `能否增加${f}的消息提醒开关？`,
];

/** Texts that match no category rule: they arrive as 其他 and an agent reclassifies them. */
const VAGUE = [
  (f: string) => `${f}那边的情况麻烦帮我看一下，跟上次说的不一样。`,
  () => '上周提的那件事现在到哪一步了？',
  () => '收到一条短信说我的账号有变动，这是你们发的吗？',
  (f: string) => `我在${f}看到的数字和后台对不上。`,
  () => '你们好，找一下负责对接我们公司的同事。',
];

export function customerText(category: string, pick: Pick): string {
  const f = pick(FEATURES);
  switch (category) {
    case 'bug':
      return `${pick(WHEN)}${pick(DEVICES)}上${f}${pick(BUG_SYMPTOMS)}，${pick(BUG_TAILS)}`.replace(/，$/, '。');
    case 'complaint':
      return `${pick(COMPLAINT_OPENERS)}：${pick(COMPLAINT_BODIES)}，${pick(COMPLAINT_TAILS)}`;
    case 'consultation':
      return `${pick(QUESTION_OPENERS)}${pick(QUESTIONS)(f)}`;
    case 'suggestion':
      return pick(SUGGESTIONS)(f);
    default:
      return pick(VAGUE)(f);
  }
}

const FIRST_REPLIES: Record<string, readonly string[]> = {
  bug: [
    '您好，已收到，技术同事正在排查，请问您方便提供一下出现问题时的截图和账号吗？',
    '抱歉给您带来不便，我们已复现该问题，正在修复中，有进展第一时间告诉您。',
    '您好，这个问题我们已经定位到原因，预计今天内修复，请您稍候。',
  ],
  complaint: [
    '非常抱歉给您带来不好的体验，您的问题已由我专人跟进，我马上核实情况。',
    '抱歉让您久等了，我已经把情况转给负责的同事，今天内给您明确答复。',
    '您好，我们很重视您的反馈，已经在核实具体经过，稍后回复您处理方案。',
  ],
  consultation: [
    '您好，在「设置 → 账号与安全」里可以操作，如有问题随时联系我们。',
    '您好，企业版支持按月和按年付费，按年付费可享 8 折，详细报价稍后发您。',
    '您好，可以的，我把操作步骤整理好发给您：先进入管理后台，再选择对应的菜单即可。',
    '您好，支持的，申请时提供公司名称、税号和开户行信息即可。',
  ],
  suggestion: ['感谢您的建议！已经转给产品团队评估，排期确定后会通知您。', '谢谢您的反馈，这个需求我们记录下来了，会在后续版本中考虑。'],
  other: ['您好，收到，我帮您查一下，请稍等。', '您好，请问能具体说一下是哪个订单或账号吗？我来帮您核实。'],
};
const FOLLOW_UPS = [
  '好的，截图已经发了，麻烦看一下。',
  '请问大概什么时候能好？',
  '订单号是 2026 开头的那一笔，麻烦尽快。',
  '补充一下：换了网络也一样。',
  '好的，我等你们消息。',
];
const SECOND_REPLIES = ['收到您的补充，已同步给处理的同事，会尽快给您结果。', '好的，我们正在加急处理，预计今天下班前给您答复。', '明白了，谢谢您提供的信息。'];
const RESOLUTIONS: Record<string, readonly string[]> = {
  bug: ['问题已修复并发布，请您更新到最新版本后再试一下，如还有问题随时联系我们。', '已修复，刚才我们用您的账号验证过可以正常使用了。'],
  complaint: ['已为您处理完毕：相关费用已原路退回，同时已对负责同事进行了提醒，再次向您致歉。', '已安排专人联系您并处理完成，后续如有问题可以直接找我。'],
  consultation: ['以上就是具体说明，如果还有疑问欢迎随时咨询。', '报价单已发到您的邮箱，请查收。'],
  suggestion: ['您的建议已进入需求池，感谢您帮助我们改进产品。'],
  other: ['已帮您核实并处理好了，有其他问题随时联系我们。'],
};
const REOPEN_REPLIES = ['非常抱歉没有让您满意，我重新核实了一遍，已经安排技术负责人亲自处理。', '抱歉，上次的处理不够彻底，我们已经重新处理，请您再确认一下。'];
const COMMENTS_GOOD = ['处理很快，谢谢', '客服态度很好', '问题解决了，满意', '', '', '回复及时，点赞'];
const COMMENTS_BAD = ['问题还是没解决', '等太久了', '回复太模板化，没说清楚', '还是会出现同样的问题'];
const NOTES = ['已和技术确认，是上次版本发布引入的问题。', '客户是重点客户，优先处理。', '已电话联系客户确认细节。'];
const ESCALATIONS = ['涉及多个部门，需要负责人协调', '客户要求主管回电', '影响范围较大，请负责人关注'];

export const texts = {
  firstReply: (category: string, pick: Pick) => pick(FIRST_REPLIES[category] ?? FIRST_REPLIES.other),
  followUp: (pick: Pick) => pick(FOLLOW_UPS),
  secondReply: (pick: Pick) => pick(SECOND_REPLIES),
  resolution: (category: string, pick: Pick) => pick(RESOLUTIONS[category] ?? RESOLUTIONS.other),
  reopenReply: (pick: Pick) => pick(REOPEN_REPLIES),
  goodComment: (pick: Pick) => pick(COMMENTS_GOOD),
  badComment: (pick: Pick) => pick(COMMENTS_BAD),
  note: (pick: Pick) => pick(NOTES),
  escalation: (pick: Pick) => pick(ESCALATIONS),
};

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '艳', '勇', '军', '杰', '涛', '明', '超', '秀英', '晓东', '丽华', '志强', '雪', '浩然'];
export const personName = (pick: Pick) => `${pick(SURNAMES)}${pick(GIVEN)}`;

/** The burst: one outage, many customers saying the same thing in their own words. */
const OUTAGE = [
  'APP 登录不了，一直提示网络异常',
  'APP 登录不上，提示网络异常，怎么回事',
  '登录不了 APP，总是提示网络异常',
  'APP 无法登录，显示网络异常请稍后再试',
  '你们 APP 是不是挂了？登录一直提示网络异常',
];
export const outageText = (pick: Pick) => pick(OUTAGE);
export const OUTAGE_REPLY = '各位客户您好，APP 登录异常是服务器故障导致，技术团队正在紧急修复，预计 1 小时内恢复，给您带来不便深表歉意。';
export const OUTAGE_RESOLVED = '登录故障已修复，服务已全部恢复，请重新打开 APP 登录。给您带来的不便再次致歉。';

/** The one major complaint, start to end (its timeline is in plan.ts). */
export const MAJOR = {
  customer: { name: '周建华', phone: '13912345678' },
  opening: '你们连续两个月乱扣费，每月多扣 29 元，客服一直不处理。再不解决我就向工信部和 12315 投诉，还要找媒体曝光！',
  apology: '周先生您好，我是客服主管王建国，非常抱歉给您带来困扰。您的问题由我亲自跟进，请您提供一下扣费的手机号和大概日期，我马上核实。',
  details: '手机号就是注册的这个，上个月 3 号和这个月 3 号各扣了一次，我根本没开通自动续费。',
  note: '已联系财务核查：自动续费在客户升级套餐时被默认勾选，两笔扣费属实。',
  escalation: '涉及退款审批与自动续费默认勾选问题，需要财务和产品负责人一起处理',
  answer:
    '周先生，核实结果：升级套餐时自动续费被默认勾选，这是我们的问题。两笔共 58 元已原路退回，预计 1–3 个工作日到账；自动续费已为您关闭，产品已取消默认勾选。',
  unhappy: '说是退了，到现在还没到账',
  chase: '非常抱歉，我已联系财务加急处理，退款单号 RF-0087，银行显示今天到账，到账后麻烦告诉我一声。',
  received: '钱收到了，谢谢你们这次处理得还算认真。',
  closing: '退款已到账确认，自动续费已关闭，问题处理完毕。感谢您的耐心，也谢谢您帮我们发现了默认勾选的问题。',
  satisfied: '最后处理得很负责，满意',
};
