/**
 * Classification benchmark (issue 7): throughput of the two-layer classifier (rules + naive Bayes over character
 * bigrams) with a model trained on 50,000 labelled examples, beside the rules alone (the baseline, same run), and
 * the model's memory: JSON size (what the `kv` row holds and every reclassification rewrites) and heap.
 *
 *   npx tsx bench/classify.ts          (BENCH_EXAMPLES=50000, BENCH_MESSAGES=20000)
 */
import { parseConfig } from '../src/config.ts';
import { emptyModel, train, type BayesModel } from '../src/core/bayes.ts';
import { classify, classifyByRules } from '../src/core/classify.ts';
import { table } from './lib.ts';

const EXAMPLES = Number(process.env.BENCH_EXAMPLES ?? 50_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const config = parseConfig({});

/**
 * A varied corpus: per category, subjects × predicates × fillers plus random product/order tokens, so the
 * vocabulary grows the way a real company's does (tens of thousands of bigrams), not a toy one.
 */
function corpus(seed: number, n: number): Array<{ text: string; label: string }> {
  // mulberry32: a float LCG with a 2^31 modulus loses precision and cycles early, which would shrink the corpus.
  let x = seed >>> 0;
  const rnd = () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const han = () => String.fromCodePoint(0x4e00 + Math.floor(rnd() * 3000));
  const phrases: Record<string, string[][]> = {
    bug: [
      ['对账单', '导出的报表', '同步任务', '子账号权限', '支付页面', '登录', '消息推送', '订单列表', '发票下载', '小程序'],
      ['数据对不上', '一直转圈', '金额显示为负数', '重复生成两份', '同步失败', '打不开', '闪退', '白屏', '报错 500', '加载很慢'],
    ],
    complaint: [
      ['你们销售', '上次的客服', '续费时', '合同里', '售后', '退款流程', '账单', '快递'],
      ['承诺的没兑现', '态度恶劣', '多收了我们一年的钱', '一直推脱', '完全不负责任', '没人回复', '拖了两周', '太失望了'],
    ],
    consultation: [
      ['子账号', '发票抬头', 'API 调用额度', '数据保留期', '企业版', '私有化部署', '发货时间', '积分'],
      ['在哪里设置', '上限是多少', '支持哪些格式', '需要什么材料', '多少钱', '怎么开通', '能不能改', '有没有优惠'],
    ],
    suggestion: [
      ['报表页面', '移动端', '审批流', '通知提醒', '搜索', '首页', '导出功能', '客服入口'],
      ['要是能加个筛选就好了', '最好支持自定义字段', '能配合企业微信就更方便', '加一个夜间主题吧', '希望增加批量操作', '建议优化一下排版'],
    ],
    other: [
      ['你好', '在吗', '麻烦', '请转告', '谢谢'],
      ['', '我是老客户', '找一下张经理', '上次聊过的事', '收到了'],
    ],
  };
  const labels = Object.keys(phrases);
  return Array.from({ length: n }, () => {
    const label = pick(labels);
    const [subjects, predicates] = phrases[label];
    const noise = Array.from({ length: 1 + Math.floor(rnd() * 4) }, han).join('');
    return {
      text: `${pick(['您好，', '', '麻烦看下，', '急！', ''])}${pick(subjects)}${noise}${pick(predicates)}，订单 ${Math.floor(rnd() * 1e6)}${pick(['。', '，谢谢', '！', ''])}`,
      label,
    };
  });
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

function throughput(label: string, texts: string[], fn: (t: string) => unknown) {
  for (let i = 0; i < 500; i++) fn(texts[i % texts.length]); // warm-up
  const t0 = performance.now();
  for (const t of texts) fn(t);
  const s = (performance.now() - t0) / 1000;
  return { classifier: label, messages: texts.length, 'messages/s': Math.round(texts.length / s), 'µs/message': (s * 1e6) / texts.length };
}

const trainSet = corpus(1, EXAMPLES);
const test = corpus(99, MESSAGES);
const heap0 = heapMb();
const t0 = performance.now();
let model: BayesModel = emptyModel();
for (const e of trainSet) model = train(model, e.text, e.label);
const trainMs = performance.now() - t0;
const heap1 = heapMb();
const json = JSON.stringify(model);
const t1 = performance.now();
const restored = JSON.parse(json) as BayesModel;
const parseMs = performance.now() - t1;
const t2 = performance.now();
JSON.stringify(restored);
const stringifyMs = performance.now() - t2;

const texts = test.map((e) => e.text);
const rules = throughput('rules only (baseline)', texts, (t) => classifyByRules(config, t));
const both = throughput(`rules + Bayes (${EXAMPLES} examples)`, texts, (t) => classify(config, t, restored));
const accuracy = (f: (t: string) => string) => test.filter((e) => f(e.text) === e.label).length / test.length;

table('Classification throughput (one core, in process)', [rules, both]);
table('Accuracy on held-out generated messages', [
  { classifier: 'rules only', accuracy: `${(accuracy((t) => classifyByRules(config, t).category) * 100).toFixed(1)}%` },
  { classifier: 'rules + Bayes', accuracy: `${(accuracy((t) => classify(config, t, restored).category) * 100).toFixed(1)}%` },
]);
table('Model', [
  { what: 'training examples', value: EXAMPLES },
  { what: 'vocabulary (distinct bigrams / words)', value: restored.vocabulary },
  { what: 'training time (ms, incremental, all examples)', value: Math.round(trainMs) },
  { what: 'JSON size (kv row, KB)', value: Math.round(json.length / 1024) },
  { what: 'heap of the live model (MB, approx.)', value: Math.max(0, heap1 - heap0).toFixed(1) },
  { what: 'JSON.parse on load (ms)', value: parseMs.toFixed(1) },
  { what: 'JSON.stringify per reclassification (ms)', value: stringifyMs.toFixed(1) },
]);
if (!(globalThis as { gc?: () => void }).gc)
  console.log('\n(heap figures without --expose-gc are approximate: NODE_OPTIONS=--expose-gc npx tsx bench/classify.ts)');
