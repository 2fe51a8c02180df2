import type { Category, Config } from '../config.ts';
import { predict, type BayesModel } from './bayes.ts';

export interface Classification {
  category: string;
  priority: Category['priority'];
  /** 0–1: how sure the deciding layer is. */
  confidence: number;
  /** Which rule or words decided, shown on the card: e.g. 关键词「闪退」「报错」. */
  reason: string;
  /** rules | learned | default | customer */
  source: 'rules' | 'learned' | 'default' | 'customer';
}

/** A keyword right after one of these does not count: "这不是投诉" is not a complaint. */
const NEGATION = /(不是|并不是|并非|没有|没|不|无意|不想|不会|不打算|不要)\s*$/;

function hits(text: string, lower: string, c: Category): string[] {
  const found: string[] = [];
  for (const k of c.keywords) {
    if (!k) continue;
    const needle = k.toLowerCase();
    for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, i + needle.length)) {
      if (!NEGATION.test(lower.slice(Math.max(0, i - 4), i))) {
        found.push(`「${k}」`);
        break;
      }
    }
  }
  for (const p of c.patterns) if (new RegExp(p, 'iu').test(text)) found.push(`/${p}/`);
  return found;
}

/**
 * Rule layer: the category with the most keyword/pattern hits (ties: the order of the config), negated mentions
 * ignored; the default category when nothing matches.
 */
export function classifyByRules(config: Config, text: string): Classification {
  const lower = text.toLowerCase();
  let best: { c: Category; found: string[] } | null = null;
  for (const c of config.categories) {
    const found = hits(text, lower, c);
    if (found.length > (best?.found.length ?? 0)) best = { c, found };
  }
  if (best) {
    return {
      category: best.c.id,
      priority: best.c.priority,
      confidence: Math.min(0.95, 0.6 + 0.1 * best.found.length),
      reason: `关键词${best.found.slice(0, 3).join('')}`,
      source: 'rules',
    };
  }
  const d = config.categories.find((c) => c.id === config.defaultCategory)!;
  return { category: d.id, priority: d.priority, confidence: 0.3, reason: '未命中规则，默认分类', source: 'default' };
}

/** Minimum examples before the learned layer may overrule the rules. */
export const MIN_TRAINING_EXAMPLES = 20;

/**
 * Two layers: the rules, and a classifier learned from the company's own reclassifications. The learned one decides
 * when it has seen enough examples and is more confident than the rules.
 */
export function classify(config: Config, text: string, model?: BayesModel | null): Classification {
  const rules = classifyByRules(config, text);
  if (!model || model.examples < MIN_TRAINING_EXAMPLES) return rules;
  const learned = predict(model, text);
  const category = config.categories.find((c) => c.id === learned?.label);
  if (!learned || !category || learned.confidence <= rules.confidence) return rules;
  return {
    category: category.id,
    priority: category.priority,
    confidence: learned.confidence,
    reason: `历史分类学习（${model.examples} 条样本，置信度 ${learned.confidence.toFixed(2)}）`,
    source: 'learned',
  };
}
