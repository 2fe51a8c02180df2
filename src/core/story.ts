/**
 * The story of a major complaint (重大投诉处理记述): the sections a reviewer reads above the timeline. Each is
 * written by an agent or a lead as a `case_story` event; the latest event of a section is its current text.
 */
export const STORY_SECTIONS = [
  { id: 'course', label: '事件经过' },
  { id: 'cause', label: '原因分析' },
  { id: 'measures', label: '处理措施' },
  { id: 'compensation', label: '赔付/退款结果' },
  { id: 'opinion', label: '客户最终意见' },
  { id: 'rectification', label: '整改措施' },
] as const;

export type StorySection = (typeof STORY_SECTIONS)[number]['id'];
export const STORY_EVENT = 'case_story';
/** Longest section: a page of text, not a document dump (attachments go in the ticket). */
export const MAX_STORY_TEXT = 5000;

const ALIASES: Record<string, StorySection> = {
  赔付结果: 'compensation',
  退款结果: 'compensation',
  赔付退款结果: 'compensation',
  '赔付／退款结果': 'compensation',
  客户意见: 'opinion',
};

/** A section from what a person types: its label (事件经过), a short alias (退款结果) or its id (cause). */
export function storySectionOf(word: string): StorySection | null {
  const w = word.trim();
  const hit = STORY_SECTIONS.find((s) => s.label === w || s.id === w.toLowerCase());
  return hit?.id ?? ALIASES[w] ?? null;
}

export const storyLabel = (id: string): string => STORY_SECTIONS.find((s) => s.id === id)?.label ?? id;
export const STORY_SECTION_LIST = STORY_SECTIONS.map((s) => s.label).join(' / ');

export interface StoryEntry {
  section: StorySection;
  label: string;
  /** null: nobody wrote it yet (printed 未填写). */
  text: string | null;
  by: string | null;
  at: Date | null;
  /** How many times it was written (the earlier versions stay in the timeline). */
  versions: number;
}

/** Every section in order, each with its latest text, from the ticket's events (seq order). */
type StoryEvent = { type: string; actor: string; at: Date; data: Record<string, unknown> };

export function storyOf(events: readonly StoryEvent[], nameOf: (actor: string) => string): StoryEntry[] {
  const latest = new Map<string, { text: string; by: string; at: Date; versions: number }>();
  for (const e of events) {
    if (e.type !== STORY_EVENT || typeof e.data.section !== 'string' || typeof e.data.text !== 'string') continue;
    const versions = (latest.get(e.data.section)?.versions ?? 0) + 1;
    const by = typeof e.data.byName === 'string' && e.data.byName ? e.data.byName : nameOf(e.actor);
    latest.set(e.data.section, { text: e.data.text, by, at: e.at, versions });
  }
  return STORY_SECTIONS.map((s) => {
    const l = latest.get(s.id);
    return { section: s.id, label: s.label, text: l?.text ?? null, by: l?.by ?? null, at: l?.at ?? null, versions: l?.versions ?? 0 };
  });
}
