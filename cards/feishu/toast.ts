import type { Card } from './elements.ts';

export type ToastType = 'success' | 'info' | 'warning' | 'error';

/** A card-callback answer (feishu.md §4): a toast, and the card to show in place of the clicked one. */
export interface CallbackAnswer {
  toast: { type: ToastType; content: string };
  card?: { type: 'raw'; data: Card };
}

export function toast(type: ToastType, content: string, updated?: Card): CallbackAnswer {
  return { toast: { type, content }, ...(updated ? { card: { type: 'raw' as const, data: updated } } : {}) };
}
