import { describe, expect, it } from 'vitest';
import { detectMajor } from '../../src/core/major.ts';

/** Phrasings customers (and reviewers planting a complaint) really use; each names the agency or outlet. */
describe('major complaints: the names people really use', () => {
  it.each([
    ['再不处理我就向通管局反映', '提及监管部门'],
    ['我已经打电话到上海市通信管理局了', '提及监管部门'],
    ['明天去省通管局投诉你们', '提及监管部门'],
    ['我去电信管理局申诉', '提及监管部门'],
    ['我要打工信部电话投诉', '提及监管部门'],
    ['已经向12300申诉', '提及监管部门'],
    ['我会去消协投诉', '提及监管部门'],
    ['找消费者协会评理', '提及监管部门'],
    ['我去消保委反映', '提及监管部门'],
    ['我要向市场监管局投诉', '提及监管部门'],
    ['打了市场监督管理局的电话', '提及监管部门'],
    ['拨打12315', '提及监管部门'],
    ['打12345市民热线反映', '提及监管部门'],
    ['我要去黑猫投诉发帖', '提及媒体曝光'],
    ['我发微博曝光你们', '提及媒体曝光'],
    ['在微博上曝光你们', '提及媒体曝光'],
    ['去抖音曝光', '提及媒体曝光'],
    ['我要在人民网留言板上留言', '提及媒体曝光'],
    ['去领导留言板反映', '提及媒体曝光'],
    ['扣了我的钱却没有开通服务，我要一个说法', '资金损失'],
    ['钱被扣了会员还是没开', '资金损失'],
    ['重复扣费两次', '资金损失'],
    ['乱收费', '资金损失'],
  ])('%s → major (%s)', (text, reason) => {
    const r = detectMajor(text);
    expect(r.major, text).toBe(true);
    expect(r.reasons).toContain(reason);
  });

  it.each([
    '我不会去通管局的，只是想尽快解决',
    '不想去消协，你们处理一下就好',
    '没有要去黑猫投诉的意思',
    '请问怎么扣费的？',
    '会员多少钱一个月',
    '微博登录不了怎么办',
    '抖音账号怎么绑定',
    '我是市场部的，想咨询一下合作',
    '订单号 1230012345 的发票怎么开',
  ])('%s → not major', (text) => {
    expect(detectMajor(text).major, JSON.stringify(detectMajor(text))).toBe(false);
  });
});
