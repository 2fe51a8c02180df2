import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { emptyModel, predict, train } from '../../src/core/bayes.ts';
import { classify, classifyByRules } from '../../src/core/classify.ts';
import { detectMajor } from '../../src/core/major.ts';
import { similarity } from '../../src/core/similarity.ts';
import { corpus } from '../helpers/triage-corpus.ts';

const config = parseConfig({});

describe('rule classification', () => {
  it.each([
    ['APP 一打开就闪退，还报错', 'bug'],
    ['登录不了，提示账号异常', 'bug'],
    ['The app crashes when I upload a photo', 'bug'],
    ['我要投诉你们的客服，态度太差', 'complaint'],
    ['申请退款三天了没人理', 'complaint'],
    ['I want a refund, this is a scam', 'complaint'],
    ['请问企业版多少钱？', 'consultation'],
    ['如何导出发票', 'consultation'],
    ['How do I change my password?', 'consultation'],
    ['建议增加夜间模式', 'suggestion'],
    ['希望增加批量导入功能', 'suggestion'],
    ['It would be nice to have dark mode', 'suggestion'],
    ['这不是投诉，只是问一下发票怎么开', 'consultation'],
    ['你好', 'other'],
  ])('%s → %s', (text, category) => {
    expect(classifyByRules(config, text).category).toBe(category);
  });

  it('says which words decided, and is less sure with fewer hits', () => {
    const one = classifyByRules(config, '闪退');
    const two = classifyByRules(config, '闪退并且报错');
    expect(one.reason).toContain('「闪退」');
    expect(two.confidence).toBeGreaterThan(one.confidence);
    expect(classifyByRules(config, '你好').source).toBe('default');
  });
});

describe('learning classifier (naive Bayes over character bigrams)', () => {
  it('after 200 labelled reclassifications, beats the rules alone on a held-out set', () => {
    const model = emptyModel();
    for (const e of corpus(1, 200)) train(model, e.text, e.label);
    const heldOut = corpus(99, 300);
    const accuracy = (f: (t: string) => string) => heldOut.filter((e) => f(e.text) === e.label).length / heldOut.length;
    const rules = accuracy((t) => classifyByRules(config, t).category);
    const combined = accuracy((t) => classify(config, t, model).category);
    expect(combined).toBeGreaterThan(rules + 0.2);
    expect(combined).toBeGreaterThan(0.85);
  });

  it('stays out of the way until it has enough examples, and survives a JSON round trip', () => {
    const model = emptyModel();
    train(model, '对账单数据对不上', 'bug');
    expect(classify(config, '对账单数据对不上', model).source).not.toBe('learned');
    const restored = JSON.parse(JSON.stringify(model));
    expect(predict(restored, '对账单数据对不上')).toEqual(predict(model, '对账单数据对不上'));
    expect(predict(emptyModel(), '任何内容')).toBeNull();
  });
});

describe('major complaints', () => {
  it.each([
    ['再不处理我就去工信部投诉', '提及监管部门'],
    ['我已经打了12315', '提及监管部门'],
    ['我要向12321举报你们', '提及监管部门'],
    ['准备找媒体曝光', '提及媒体曝光'],
    ['我会请律师起诉你们', '提及法律途径'],
    ['被乱扣费了三个月', '资金损失'],
    ['我的个人信息被泄露了', '数据泄露'],
    ['We will contact our lawyer', 'mentions regulators / press / lawyers'],
  ])('%s → major (%s)', (text, reason) => {
    const r = detectMajor(text);
    expect(r.major).toBe(true);
    expect(r.reasons).toContain(reason);
  });

  it.each(['这不是投诉，只是问一下', '我不会去12315的，只是想尽快解决', '订单号 3150042 的发票怎么开', '电话 13123151234 可以联系我', '希望增加导出功能'])(
    '%s → not major',
    (text) => {
      expect(detectMajor(text).major).toBe(false);
    },
  );
});

describe('similarity', () => {
  it('the same outage in other words is similar; an unrelated message is not', () => {
    expect(similarity('APP 登录页面一直白屏，打不开', '登录页面白屏了，APP 打不开')).toBeGreaterThan(0.6);
    expect(similarity('APP 登录页面一直白屏', '请问发票怎么开')).toBeLessThan(0.2);
  });
});
