import type { Category, Config } from '../config.ts';

export interface Classification {
  category: string;
  priority: Category['priority'];
  confidence: number;
  /** Which rule decided, shown on the card: e.g. 关键词「闪退」. */
  reason: string;
}

/** Rule layer: the first category whose keyword or pattern matches; the default category otherwise. */
export function classifyByRules(config: Config, text: string): Classification {
  const lower = text.toLowerCase();
  for (const c of config.categories) {
    const kw = c.keywords.find((k) => k && lower.includes(k.toLowerCase()));
    if (kw) return { category: c.id, priority: c.priority, confidence: 0.8, reason: `关键词「${kw}」` };
    const re = c.patterns.find((p) => new RegExp(p, 'iu').test(text));
    if (re) return { category: c.id, priority: c.priority, confidence: 0.8, reason: `规则 /${re}/` };
  }
  const d = config.categories.find((c) => c.id === config.defaultCategory)!;
  return { category: d.id, priority: d.priority, confidence: 0.3, reason: '未命中规则，默认分类' };
}
